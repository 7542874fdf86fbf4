"""Rocky: nothing to contract (kept for Glance's revision chain).

Revision ID: rocky_contract02
Revises: rocky_contract01
"""
revision = 'rocky_contract02'
down_revision = 'rocky_contract01'
branch_labels = None
depends_on = 'rocky_expand02'


def upgrade():
    pass
