"""Liberty: the image, task and metadef tables (``images.is_public``, no visibility).

Revision ID: liberty
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = 'liberty'
down_revision = None
branch_labels = None
depends_on = None

MYSQL = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8'}


def _soft_delete_columns():
    return [
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.Column('deleted', sa.Boolean(), nullable=False, server_default=sa.false()),
    ]


def _metadef_timestamps():
    return [
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
    ]


def _size_type():
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _image_child(name, *columns, indexes=(), constraints=()):
    op.create_table(
        name,
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('image_id', sa.String(36), sa.ForeignKey('images.id'), nullable=False),
        *columns,
        *_soft_delete_columns(),
        *constraints,
        **MYSQL)
    for index_name, cols in indexes:
        op.create_index(index_name, name, cols)


def _create_image_tables():
    op.create_table(
        'images',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255)),
        sa.Column('disk_format', sa.String(20)),
        sa.Column('container_format', sa.String(20)),
        sa.Column('size', _size_type()),
        sa.Column('virtual_size', _size_type()),
        sa.Column('status', sa.String(30), nullable=False),
        sa.Column('is_public', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('checksum', sa.String(32)),
        sa.Column('min_disk', sa.Integer(), nullable=False, server_default=sa.text('0')),
        sa.Column('min_ram', sa.Integer(), nullable=False, server_default=sa.text('0')),
        sa.Column('owner', sa.String(255)),
        sa.Column('protected', sa.Boolean(), nullable=False, server_default=sa.false()),
        *_soft_delete_columns(),
        **MYSQL)
    op.create_index('checksum_image_idx', 'images', ['checksum'])
    op.create_index('ix_images_is_public', 'images', ['is_public'])
    op.create_index('ix_images_deleted', 'images', ['deleted'])
    op.create_index('owner_image_idx', 'images', ['owner'])

    _image_child(
        'image_properties',
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('value', sa.Text()),
        constraints=[sa.UniqueConstraint('image_id', 'name',
                                         name='ix_image_properties_image_id_name')],
        indexes=[('ix_image_properties_image_id', ['image_id']),
                 ('ix_image_properties_deleted', ['deleted'])])
    _image_child(
        'image_locations',
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('meta_data', sa.Text()),
        sa.Column('status', sa.String(30), nullable=False, server_default='active'),
        indexes=[('ix_image_locations_image_id', ['image_id']),
                 ('ix_image_locations_deleted', ['deleted'])])
    _image_child(
        'image_members',
        sa.Column('member', sa.String(255), nullable=False),
        sa.Column('can_share', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('status', sa.String(20), nullable=False, server_default='pending'),
        constraints=[sa.UniqueConstraint(
            'image_id', 'member', 'deleted_at',
            name='image_members_image_id_member_deleted_at_key')],
        indexes=[('ix_image_members_deleted', ['deleted']),
                 ('ix_image_members_image_id', ['image_id']),
                 ('ix_image_members_image_id_member', ['image_id', 'member'])])
    _image_child(
        'image_tags',
        sa.Column('value', sa.String(255), nullable=False),
        indexes=[('ix_image_tags_image_id', ['image_id']),
                 ('ix_image_tags_image_id_tag_value', ['image_id', 'value'])])


def _create_task_tables():
    op.create_table(
        'tasks',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('type', sa.String(30), nullable=False),
        sa.Column('status', sa.String(30), nullable=False),
        sa.Column('owner', sa.String(255), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        *_soft_delete_columns(),
        **MYSQL)
    for column in ('type', 'status', 'owner', 'deleted', 'updated_at'):
        op.create_index('ix_tasks_%s' % column, 'tasks', [column])
    op.create_table(
        'task_info',
        sa.Column('task_id', sa.String(36), sa.ForeignKey('tasks.id'), primary_key=True,
                  nullable=False),
        sa.Column('input', sa.Text()),
        sa.Column('result', sa.Text()),
        sa.Column('message', sa.Text()),
        **MYSQL)


def _create_metadef_tables():
    op.create_table(
        'metadef_namespaces',
        sa.Column('id', sa.Integer(), primary_key=True, nullable=False),
        sa.Column('namespace', sa.String(80), nullable=False),
        sa.Column('display_name', sa.String(80)),
        sa.Column('description', sa.Text()),
        sa.Column('visibility', sa.String(32)),
        sa.Column('protected', sa.Boolean()),
        sa.Column('owner', sa.String(255), nullable=False),
        *_metadef_timestamps(),
        sa.UniqueConstraint('namespace', name='uq_metadef_namespaces_namespace'),
        **MYSQL)
    op.create_index('ix_metadef_namespaces_owner', 'metadef_namespaces', ['owner'])

    def in_namespace(name, *columns):
        op.create_table(
            name,
            sa.Column('id', sa.Integer(), primary_key=True, nullable=False),
            sa.Column('namespace_id', sa.Integer(), sa.ForeignKey('metadef_namespaces.id'),
                      nullable=False),
            sa.Column('name', sa.String(80), nullable=False),
            *columns,
            *_metadef_timestamps(),
            sa.UniqueConstraint('namespace_id', 'name',
                                name='uq_%s_namespace_id_name' % name),
            **MYSQL)
        op.create_index('ix_%s_name' % name, name, ['name'])

    in_namespace('metadef_objects',
                 sa.Column('description', sa.Text()),
                 sa.Column('required', sa.Text()),
                 sa.Column('json_schema', sa.Text(), nullable=False))
    in_namespace('metadef_properties',
                 sa.Column('json_schema', sa.Text(), nullable=False))
    in_namespace('metadef_tags')

    op.create_table(
        'metadef_resource_types',
        sa.Column('id', sa.Integer(), primary_key=True, nullable=False),
        sa.Column('name', sa.String(80), nullable=False),
        sa.Column('protected', sa.Boolean(), nullable=False, server_default=sa.false()),
        *_metadef_timestamps(),
        sa.UniqueConstraint('name', name='uq_metadef_resource_types_name'),
        **MYSQL)
    op.create_table(
        'metadef_namespace_resource_types',
        sa.Column('resource_type_id', sa.Integer(),
                  sa.ForeignKey('metadef_resource_types.id'), primary_key=True,
                  nullable=False),
        sa.Column('namespace_id', sa.Integer(), sa.ForeignKey('metadef_namespaces.id'),
                  primary_key=True, nullable=False),
        sa.Column('properties_target', sa.String(80)),
        sa.Column('prefix', sa.String(80)),
        *_metadef_timestamps(),
        **MYSQL)
    op.create_index('ix_metadef_ns_res_types_namespace_id',
                    'metadef_namespace_resource_types', ['namespace_id'])


def upgrade():
    _create_image_tables()
    _create_task_tables()
    _create_metadef_tables()
