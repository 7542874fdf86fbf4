"""Ocata expand: add images.visibility (nullable until the data migration fills it).

Revision ID: ocata_expand01
Revises: mitaka02
"""
from alembic import op
import sqlalchemy as sa

revision = 'ocata_expand01'
down_revision = 'mitaka02'
branch_labels = ('expand',)
depends_on = None

VISIBILITY = sa.Enum('private', 'public', 'shared', 'community', name='image_visibility')


def upgrade():
    # add_column does not create a PostgreSQL enum type by itself.
    VISIBILITY.create(op.get_bind(), checkfirst=True)
    with op.batch_alter_table('images') as batch:
        batch.add_column(sa.Column('visibility', VISIBILITY, nullable=True))
        batch.create_index('visibility_image_idx', ['visibility'])
