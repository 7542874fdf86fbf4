"""Queens: nothing to contract (kept for Glance's revision chain).

Revision ID: queens_contract01
Revises: pike_contract01
"""
revision = 'queens_contract01'
down_revision = 'pike_contract01'
branch_labels = None
depends_on = 'queens_expand01'


def upgrade():
    pass
