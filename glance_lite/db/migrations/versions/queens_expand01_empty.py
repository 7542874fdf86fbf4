"""Queens: nothing to expand (kept for Glance's revision chain).

Revision ID: queens_expand01
Revises: pike_expand01
"""
revision = 'queens_expand01'
down_revision = 'pike_expand01'
branch_labels = None
depends_on = None


def upgrade():
    pass
