"""Rocky expand: add images.os_hash_algo and os_hash_value (multihash).

Also glance_lite's list indexes (``*_lite_idx``): name and status filters and sorts,
the default (created_at, id) order with marker paging, and "shared with me" lookups.

Revision ID: rocky_expand02
Revises: rocky_expand01
"""
from alembic import op
import sqlalchemy as sa

revision = 'rocky_expand02'
down_revision = 'rocky_expand01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('images') as batch:
        batch.add_column(sa.Column('os_hash_algo', sa.String(64), nullable=True))
        batch.add_column(sa.Column('os_hash_value', sa.String(128), nullable=True))
        batch.create_index('os_hash_value_image_idx', ['os_hash_value'])
    op.create_index('name_lite_idx', 'images', ['name', 'created_at', 'id'])
    op.create_index('status_lite_idx', 'images', ['status', 'created_at', 'id'])
    op.create_index('created_at_id_lite_idx', 'images', ['created_at', 'id'])
    op.create_index('member_lite_idx', 'image_members', ['member'])
