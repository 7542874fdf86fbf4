"""Pike: nothing to expand (kept for Glance's revision chain).

Revision ID: pike_expand01
Revises: ocata_expand01
"""
revision = 'pike_expand01'
down_revision = 'ocata_expand01'
branch_labels = None
depends_on = None


def upgrade():
    pass
