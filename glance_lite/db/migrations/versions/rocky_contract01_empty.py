"""Rocky: nothing to contract (kept for Glance's revision chain).

Revision ID: rocky_contract01
Revises: queens_contract01
"""
revision = 'rocky_contract01'
down_revision = 'queens_contract01'
branch_labels = None
depends_on = 'rocky_expand01'


def upgrade():
    pass
