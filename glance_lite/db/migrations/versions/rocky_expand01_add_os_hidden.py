"""Rocky expand: add images.os_hidden (hide an image from default lists).

Revision ID: rocky_expand01
Revises: queens_expand01
"""
from alembic import op
import sqlalchemy as sa

revision = 'rocky_expand01'
down_revision = 'queens_expand01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('images') as batch:
        batch.add_column(sa.Column('os_hidden', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.create_index('os_hidden_image_idx', ['os_hidden'])
