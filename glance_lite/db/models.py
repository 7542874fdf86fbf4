"""SQLAlchemy models of Glance's database at the Stein heads (rocky_expand02/_contract02).

Table, column, index and constraint names are Glance's (spec/registry.md §7), so a
database created by Glance and one created here are interchangeable.  The only
additions are a few indexes that serve the list filters and sorts (``*_lite_idx``);
they are created by the ``rocky_expand02`` migration.

Models declare structure only; every query lives in the query modules of this package.
"""
import datetime

from sqlalchemy import (BigInteger, Boolean, Column, DateTime, Enum, ForeignKey, Index,
                        Integer, String, Text, UniqueConstraint, false, orm, text)

IMAGE_VISIBILITIES = ('private', 'public', 'shared', 'community')

# Glance's tables are InnoDB/utf8 on MySQL; 4-byte characters are refused before SQL.
MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8'}


def utcnow():
    """Naive UTC now: every DATETIME column holds naive UTC, as in Glance."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def image_size_type():
    # BIGINT everywhere; on SQLite an INTEGER (already 64-bit) as Glance declares it.
    return BigInteger().with_variant(Integer(), 'sqlite')


class Base(orm.DeclarativeBase):
    pass


class SoftDeleteMixin:
    """Timestamps and the soft-delete flag common to image tables and tasks."""

    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=True, default=utcnow)
    deleted_at = Column(DateTime, nullable=True)
    deleted = Column(Boolean, nullable=False, default=False, server_default=false())


class MetadefTimestampMixin:
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=True, default=utcnow)


class Image(SoftDeleteMixin, Base):
    __tablename__ = 'images'
    __table_args__ = (
        Index('checksum_image_idx', 'checksum'),
        Index('visibility_image_idx', 'visibility'),
        Index('ix_images_deleted', 'deleted'),
        Index('owner_image_idx', 'owner'),
        Index('created_at_image_idx', 'created_at'),
        Index('updated_at_image_idx', 'updated_at'),
        Index('os_hidden_image_idx', 'os_hidden'),
        Index('os_hash_value_image_idx', 'os_hash_value'),
        # glance_lite additions for list filters and the default sort + marker paging.
        Index('name_lite_idx', 'name', 'created_at', 'id'),
        Index('status_lite_idx', 'status', 'created_at', 'id'),
        Index('created_at_id_lite_idx', 'created_at', 'id'),
        MYSQL_TABLE_ARGS,
    )

    id = Column(String(36), primary_key=True)
    name = Column(String(255))
    disk_format = Column(String(20))
    container_format = Column(String(20))
    size = Column(image_size_type())
    virtual_size = Column(image_size_type())
    status = Column(String(30), nullable=False)
    visibility = Column(Enum(*IMAGE_VISIBILITIES, name='image_visibility'),
                        nullable=False, server_default='shared')
    checksum = Column(String(32))
    os_hash_algo = Column(String(64))
    os_hash_value = Column(String(128))
    min_disk = Column(Integer, nullable=False, default=0, server_default=text('0'))
    min_ram = Column(Integer, nullable=False, default=0, server_default=text('0'))
    owner = Column(String(255))
    protected = Column(Boolean, nullable=False, default=False, server_default=false())
    os_hidden = Column(Boolean, nullable=False, default=False, server_default=false())

    # Children in insertion order; deleted rows are kept (soft delete), readers filter.
    properties = orm.relationship('ImageProperty', back_populates='image',
                                  order_by='ImageProperty.id')
    locations = orm.relationship('ImageLocation', back_populates='image',
                                 order_by='ImageLocation.id')
    members = orm.relationship('ImageMember', back_populates='image',
                               order_by='ImageMember.id')
    tags = orm.relationship('ImageTag', back_populates='image', order_by='ImageTag.id')


class ImageProperty(SoftDeleteMixin, Base):
    __tablename__ = 'image_properties'
    __table_args__ = (
        UniqueConstraint('image_id', 'name', name='ix_image_properties_image_id_name'),
        Index('ix_image_properties_image_id', 'image_id'),
        Index('ix_image_properties_deleted', 'deleted'),
        MYSQL_TABLE_ARGS,
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    image_id = Column(String(36), ForeignKey('images.id'), nullable=False)
    name = Column(String(255), nullable=False)
    value = Column(Text)

    image = orm.relationship(Image, back_populates='properties')


class ImageLocation(SoftDeleteMixin, Base):
    __tablename__ = 'image_locations'
    __table_args__ = (
        Index('ix_image_locations_image_id', 'image_id'),
        Index('ix_image_locations_deleted', 'deleted'),
        MYSQL_TABLE_ARGS,
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    image_id = Column(String(36), ForeignKey('images.id'), nullable=False)
    value = Column(Text, nullable=False)
    meta_data = Column(Text)  # JSON object; encoded and decoded by the query modules
    status = Column(String(30), nullable=False, default='active',
                    server_default='active')

    image = orm.relationship(Image, back_populates='locations')


class ImageMember(SoftDeleteMixin, Base):
    __tablename__ = 'image_members'
    __table_args__ = (
        UniqueConstraint('image_id', 'member', 'deleted_at',
                         name='image_members_image_id_member_deleted_at_key'),
        Index('ix_image_members_deleted', 'deleted'),
        Index('ix_image_members_image_id', 'image_id'),
        Index('ix_image_members_image_id_member', 'image_id', 'member'),
        # "shared with me" lookups start from the member.
        Index('member_lite_idx', 'member'),
        MYSQL_TABLE_ARGS,
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    image_id = Column(String(36), ForeignKey('images.id'), nullable=False)
    member = Column(String(255), nullable=False)
    can_share = Column(Boolean, nullable=False, default=False, server_default=false())
    status = Column(String(20), nullable=False, default='pending', server_default='pending')

    image = orm.relationship(Image, back_populates='members')


class ImageTag(SoftDeleteMixin, Base):
    __tablename__ = 'image_tags'
    __table_args__ = (
        Index('ix_image_tags_image_id', 'image_id'),
        Index('ix_image_tags_image_id_tag_value', 'image_id', 'value'),
        MYSQL_TABLE_ARGS,
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    image_id = Column(String(36), ForeignKey('images.id'), nullable=False)
    value = Column(String(255), nullable=False)

    image = orm.relationship(Image, back_populates='tags')


class Task(SoftDeleteMixin, Base):
    __tablename__ = 'tasks'
    __table_args__ = (
        Index('ix_tasks_type', 'type'),
        Index('ix_tasks_status', 'status'),
        Index('ix_tasks_owner', 'owner'),
        Index('ix_tasks_deleted', 'deleted'),
        Index('ix_tasks_updated_at', 'updated_at'),
        MYSQL_TABLE_ARGS,
    )

    id = Column(String(36), primary_key=True)
    type = Column(String(30), nullable=False)
    status = Column(String(30), nullable=False)
    owner = Column(String(255), nullable=False)
    expires_at = Column(DateTime, nullable=True)


class TaskInfo(Base):
    __tablename__ = 'task_info'
    __table_args__ = (MYSQL_TABLE_ARGS,)

    task_id = Column(String(36), ForeignKey('tasks.id'), primary_key=True, nullable=False)
    input = Column(Text)
    result = Column(Text)
    message = Column(Text)


class MetadefNamespace(MetadefTimestampMixin, Base):
    __tablename__ = 'metadef_namespaces'
    __table_args__ = (
        UniqueConstraint('namespace', name='uq_metadef_namespaces_namespace'),
        Index('ix_metadef_namespaces_owner', 'owner'),
        MYSQL_TABLE_ARGS,
    )

    id = Column(Integer, primary_key=True, nullable=False)
    namespace = Column(String(80), nullable=False)
    display_name = Column(String(80))
    description = Column(Text)
    visibility = Column(String(32))
    protected = Column(Boolean)
    owner = Column(String(255), nullable=False)


class MetadefObject(MetadefTimestampMixin, Base):
    __tablename__ = 'metadef_objects'
    __table_args__ = (
        UniqueConstraint('namespace_id', 'name', name='uq_metadef_objects_namespace_id_name'),
        Index('ix_metadef_objects_name', 'name'),
        MYSQL_TABLE_ARGS,
    )

    id = Column(Integer, primary_key=True, nullable=False)
    namespace_id = Column(Integer, ForeignKey('metadef_namespaces.id'), nullable=False)
    name = Column(String(80), nullable=False)
    description = Column(Text)
    required = Column(Text)
    json_schema = Column(Text, nullable=False)


class MetadefProperty(MetadefTimestampMixin, Base):
    __tablename__ = 'metadef_properties'
    __table_args__ = (
        UniqueConstraint('namespace_id', 'name',
                         name='uq_metadef_properties_namespace_id_name'),
        Index('ix_metadef_properties_name', 'name'),
        MYSQL_TABLE_ARGS,
    )

    id = Column(Integer, primary_key=True, nullable=False)
    namespace_id = Column(Integer, ForeignKey('metadef_namespaces.id'), nullable=False)
    name = Column(String(80), nullable=False)
    json_schema = Column(Text, nullable=False)


class MetadefResourceType(MetadefTimestampMixin, Base):
    __tablename__ = 'metadef_resource_types'
    __table_args__ = (
        UniqueConstraint('name', name='uq_metadef_resource_types_name'),
        MYSQL_TABLE_ARGS,
    )

    id = Column(Integer, primary_key=True, nullable=False)
    name = Column(String(80), nullable=False)
    protected = Column(Boolean, nullable=False, default=False, server_default=false())


class MetadefNamespaceResourceType(MetadefTimestampMixin, Base):
    __tablename__ = 'metadef_namespace_resource_types'
    __table_args__ = (
        Index('ix_metadef_ns_res_types_namespace_id', 'namespace_id'),
        MYSQL_TABLE_ARGS,
    )

    resource_type_id = Column(Integer, ForeignKey('metadef_resource_types.id'),
                              primary_key=True, nullable=False)
    namespace_id = Column(Integer, ForeignKey('metadef_namespaces.id'),
                          primary_key=True, nullable=False)
    properties_target = Column(String(80))
    prefix = Column(String(80))


class MetadefTag(MetadefTimestampMixin, Base):
    __tablename__ = 'metadef_tags'
    __table_args__ = (
        UniqueConstraint('namespace_id', 'name', name='uq_metadef_tags_namespace_id_name'),
        Index('ix_metadef_tags_name', 'name'),
        MYSQL_TABLE_ARGS,
    )

    id = Column(Integer, primary_key=True, nullable=False)
    namespace_id = Column(Integer, ForeignKey('metadef_namespaces.id'), nullable=False)
    name = Column(String(80), nullable=False)


# Tables with soft-delete columns, children before parents: the order purge needs.
SOFT_DELETE_CHILD_TABLES = ('image_properties', 'image_locations', 'image_members',
                            'image_tags')
