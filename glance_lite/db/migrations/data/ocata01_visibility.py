"""Ocata: fill images.visibility from is_public and memberships.

public if ``is_public``; otherwise shared if the image has a live membership;
otherwise private.  Only rows still NULL are touched, so it can run again safely.
"""
import sqlalchemy as sa


def _images_columns(connection):
    inspector = sa.inspect(connection)
    if 'images' not in inspector.get_table_names():
        return set()
    return {c['name'] for c in inspector.get_columns('images')}


def _applicable(connection):
    return {'is_public', 'visibility'} <= _images_columns(connection)


def _tables():
    images = sa.table('images', sa.column('id', sa.String), sa.column('is_public', sa.Boolean),
                      sa.column('visibility', sa.String))
    members = sa.table('image_members', sa.column('image_id', sa.String),
                       sa.column('deleted', sa.Boolean))
    return images, members


def has_pending(connection):
    if not _applicable(connection):
        return False
    images, _ = _tables()
    stmt = sa.select(images.c.id).where(images.c.visibility.is_(None)).limit(1)
    return connection.execute(stmt).first() is not None


def migrate(connection):
    if not _applicable(connection):
        return 0
    images, members = _tables()
    unset = images.c.visibility.is_(None)
    shared_ids = sa.select(members.c.image_id).where(members.c.deleted == sa.false())
    count = 0
    for condition, visibility in ((images.c.is_public == sa.true(), 'public'),
                                  (images.c.id.in_(shared_ids), 'shared'),
                                  (sa.true(), 'private')):
        result = connection.execute(images.update().where(unset, condition)
                                    .values(visibility=visibility))
        count += result.rowcount
    return count
