"""Pike contract: drop the artifact tables of the retired Artifacts API (Glare).

glance_lite never creates them; databases that came from Glance have them.

Revision ID: pike_contract01
Revises: ocata_contract01
"""
from alembic import op
import sqlalchemy as sa

revision = 'pike_contract01'
down_revision = 'ocata_contract01'
branch_labels = None
depends_on = 'pike_expand01'

# Children before parents.
ARTIFACT_TABLES = ('artifact_blob_locations', 'artifact_properties', 'artifact_blobs',
                   'artifact_dependencies', 'artifact_tags', 'artifacts')


def upgrade():
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for table in ARTIFACT_TABLES:
        if table in existing:
            op.drop_table(table)
