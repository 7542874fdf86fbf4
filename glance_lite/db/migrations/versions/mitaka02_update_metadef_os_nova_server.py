"""Mitaka: the metadef resource type OS::Nova::Instance is now OS::Nova::Server.

Revision ID: mitaka02
Revises: mitaka01
"""
from alembic import op
import sqlalchemy as sa

revision = 'mitaka02'
down_revision = 'mitaka01'
branch_labels = None
depends_on = None


def upgrade():
    resource_types = sa.table('metadef_resource_types',
                              sa.column('id', sa.Integer), sa.column('name', sa.String))
    bind = op.get_bind()
    taken = bind.execute(sa.select(resource_types.c.id).where(
        resource_types.c.name == 'OS::Nova::Server')).first()
    # Both names present (catalog loaded twice): keep the rows as they are rather
    # than break the unique name.
    if taken is None:
        bind.execute(resource_types.update()
                     .where(resource_types.c.name == 'OS::Nova::Instance')
                     .values(name='OS::Nova::Server'))
