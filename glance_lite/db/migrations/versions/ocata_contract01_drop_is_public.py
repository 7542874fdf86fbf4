"""Ocata contract: drop images.is_public; visibility becomes NOT NULL DEFAULT 'shared'.

Revision ID: ocata_contract01
Revises: mitaka02
"""
from alembic import op
import sqlalchemy as sa

from glance_lite.db.migrations.data import ocata01_visibility

revision = 'ocata_contract01'
down_revision = 'mitaka02'
branch_labels = ('contract',)
depends_on = 'ocata_expand01'

VISIBILITY = sa.Enum('private', 'public', 'shared', 'community', name='image_visibility')


def upgrade():
    # "db contract" refuses to run with rows still to migrate; "db upgrade" does not
    # check, so finish the data migration here rather than fail on NOT NULL.
    ocata01_visibility.migrate(op.get_bind())
    with op.batch_alter_table('images') as batch:
        batch.drop_index('ix_images_is_public')
        batch.drop_column('is_public')
        batch.alter_column('visibility', existing_type=VISIBILITY, nullable=False,
                           server_default='shared')
