"""Image records: create, read, update, soft delete, storage usage.

Every function takes the process :class:`~glance_lite.db.engine.Database` and the
caller's context (``.is_admin``, ``.owner``), runs in one short transaction and returns
plain dicts (see :func:`image_to_dict`).  Errors are ``glance_lite.common.exception``
classes; messages follow spec/registry.md §2.
"""
import json
import logging
import uuid

from sqlalchemy import exc as sa_exc, false, func, orm, select

from glance_lite.common import exception
from glance_lite.db import models, reads, validation

LOG = logging.getLogger(__name__)

# Keys of an image dict a caller may set; the four timestamps/flags are ignored.
_COLUMN_KEYS = ('id', 'name', 'disk_format', 'container_format', 'size', 'virtual_size',
                'status', 'visibility', 'checksum', 'os_hash_algo', 'os_hash_value',
                'min_disk', 'min_ram', 'owner', 'protected', 'os_hidden')
_CHILD_KEYS = ('properties', 'locations', 'tags')
_IGNORED_KEYS = ('created_at', 'updated_at', 'deleted_at', 'deleted')
_FIELDS = _COLUMN_KEYS + _IGNORED_KEYS


# ---------------------------------------------------------------- dict conversion

def location_to_dict(loc):
    return {'id': loc.id, 'url': loc.value, 'metadata': reads.decode_metadata(loc.meta_data),
            'status': loc.status}


def image_to_dict(image, show_deleted_locations=False):
    """The plain dict of an Image row with its loaded children.

    ``properties`` and ``tags`` hold live rows only; ``locations`` too unless
    ``show_deleted_locations`` (deleted images and the scrubber's pending_delete rows).
    """
    d = {key: getattr(image, key) for key in _FIELDS}
    d['properties'] = {p.name: p.value for p in image.properties if not p.deleted}
    d['locations'] = [location_to_dict(loc) for loc in image.locations
                      if show_deleted_locations or not loc.deleted]
    d['tags'] = [t.value for t in image.tags if not t.deleted]
    return d


def with_children(stmt):
    """``stmt`` plus selectin loads of every property, location and tag row, deleted
    ones included: writers revive a deleted property rather than duplicate it."""
    return stmt.options(orm.selectinload(models.Image.properties),
                        orm.selectinload(models.Image.locations),
                        orm.selectinload(models.Image.tags))


# ---------------------------------------------------------------- visibility

def is_member(session, image_id, owner, status=None):
    """Whether ``owner`` has a live membership of the image (any status by default)."""
    stmt = select(models.ImageMember.id).where(
        models.ImageMember.image_id == image_id,
        models.ImageMember.member == owner,
        models.ImageMember.deleted == false())
    if status is not None:
        stmt = stmt.where(models.ImageMember.status == status)
    return session.execute(stmt.limit(1)).first() is not None


def can_see(session, ctx, image):
    """Whether ``ctx`` may read ``image`` (an Image or an images row; deletion aside):
    admin, public/community, owner, or a live member of a ``shared`` image.
    ``session`` may be an ORM session or a Core connection."""
    if ctx.is_admin or image.visibility in ('public', 'community'):
        return True
    owner = ctx.owner
    if owner is None:
        return False
    if image.owner == owner:
        return True
    return image.visibility == 'shared' and is_member(session, image.id, owner)


def check_mutable(session, ctx, image):
    """Admins and owners may change an image.  Others get ImageNotFound for images
    they cannot see or that are private/shared, Forbidden for public/community ones."""
    if ctx.is_admin or (ctx.owner is not None and image.owner == ctx.owner):
        return
    if image.visibility in ('public', 'community'):
        raise exception.Forbidden('You do not own this image')
    raise exception.ImageNotFound(image_id=image.id)


def load_image(session, ctx, image_id, show_deleted=False, for_update=False):
    """The Image row ``image_id`` if ``ctx`` may see it, else ImageNotFound.

    Deleted rows are found only with ``show_deleted`` and only by admins.
    """
    canonical = validation.canonical_id(image_id)
    if canonical is None:
        raise exception.ImageNotFound(image_id=image_id)
    stmt = with_children(select(models.Image).where(models.Image.id == canonical))
    if for_update:
        stmt = stmt.with_for_update()
    image = session.scalars(stmt).first()
    if image is None or (image.deleted and not (show_deleted and ctx.is_admin)) \
            or not can_see(session, ctx, image):
        raise exception.ImageNotFound(image_id=image_id)
    return image


# ---------------------------------------------------------------- values

def _clean_values(ctx, values, creating):
    """Validate caller-supplied values; returns (columns, properties, locations, tags).

    Children are None when absent (left unchanged on update).
    """
    if not isinstance(values, dict):
        raise exception.Invalid('Image values must be an object.')
    validation.check_no_4byte(values)
    unknown = set(values) - set(_COLUMN_KEYS) - set(_CHILD_KEYS) - set(_IGNORED_KEYS)
    if unknown:
        raise exception.Invalid('Unknown image attribute(s): %s'
                                % ', '.join(sorted(unknown)))
    cols = {k: values[k] for k in _COLUMN_KEYS if k in values}

    if creating:
        cols['id'] = (validation.image_id(cols['id']) if cols.get('id') is not None
                      else str(uuid.uuid4()))
        if not ctx.is_admin:
            cols['owner'] = ctx.owner
        if not cols.get('status'):
            raise exception.Invalid('Image status is required.')
    else:
        cols.pop('id', None)
        if not ctx.is_admin:
            cols.pop('owner', None)

    if 'owner' in cols and not cols['owner']:
        cols['owner'] = None
    if 'status' in cols:
        validation.status(cols['status'])
    if 'visibility' in cols:
        validation.visibility(cols['visibility'])
    for key in ('min_disk', 'min_ram'):
        if key in cols or creating:
            cols[key] = validation.bounded_int(key, cols.get(key), validation.MAX_INT32, 0)
    for key in ('size', 'virtual_size'):
        if key in cols:
            cols[key] = validation.bounded_int(key, cols[key], validation.MAX_INT64)
    for key in ('protected', 'os_hidden'):
        if key in cols or creating:
            value = cols.get(key)
            cols[key] = False if value is None else validation.boolean(key, value)
    for key in validation.STRING_LIMITS:
        if key in cols:
            cols[key] = validation.short_string(key, cols[key])

    props = values.get('properties')
    if props is not None:
        if not isinstance(props, dict):
            raise exception.Invalid('Image properties must be an object.')
        props = {validation.property_name(k): validation.property_value(v)
                 for k, v in props.items()}
    locations = values.get('locations')
    if locations is not None:
        if not isinstance(locations, (list, tuple)):
            raise exception.Invalid('Image locations must be a list.')
        locations = [validation.location(loc) for loc in locations]
    tags = values.get('tags')
    if tags is not None:
        if not isinstance(tags, (list, tuple)):
            raise exception.Invalid('Image tags must be a list.')
        tags = list(dict.fromkeys(validation.tag(t) for t in tags))
    return cols, props, locations, tags


# ---------------------------------------------------------------- children

def _set_properties(image, props, purge, now):
    rows = {p.name: p for p in image.properties}
    for name, value in props.items():
        row = rows.get(name)
        if row is None:
            image.properties.append(models.ImageProperty(
                name=name, value=value, created_at=now, updated_at=now, deleted=False))
        elif row.deleted or row.value != value:
            # The unique (image_id, name) key covers deleted rows: revive, don't insert.
            row.value = value
            row.deleted = False
            row.deleted_at = None
            row.updated_at = now
    if purge:
        for name, row in rows.items():
            if name not in props and not row.deleted:
                _soft_delete(row, now)


def _soft_delete(row, now):
    row.deleted = True
    row.deleted_at = now
    row.updated_at = now


def _apply_location(row, loc, now):
    row.value = loc['url']
    row.meta_data = json.dumps(loc['metadata'])
    row.status = loc['status']
    # pending_delete and deleted locations are soft-deleted rows (the scrubber finds
    # pending_delete ones among the deleted rows, as in Glance).
    gone = loc['status'] != 'active'
    if gone and not row.deleted:
        row.deleted_at = now
    elif not gone:
        row.deleted_at = None
    row.deleted = gone
    row.updated_at = now


def _set_locations(image, locations, now):
    """Glance's rule: rows named by ``id`` are updated, others added, the rest deleted."""
    by_id = {loc.id: loc for loc in image.locations}
    keep = set()
    for loc in locations:
        if loc['id'] is None:
            continue
        try:
            loc_id = int(loc['id'])
        except (TypeError, ValueError):
            loc_id = None
        if loc_id not in by_id:
            raise exception.Invalid('Unknown location id %s for image %s'
                                    % (loc['id'], image.id))
        keep.add(loc_id)
    for row in image.locations:
        if not row.deleted and row.id not in keep:
            row.status = 'deleted'
            _soft_delete(row, now)
    for loc in locations:
        if loc['id'] is None:
            row = models.ImageLocation(created_at=now)
            _apply_location(row, loc, now)
            image.locations.append(row)
        else:
            _apply_location(by_id[int(loc['id'])], loc, now)


def set_tags(image, tags, now):
    """Make the live tags of ``image`` exactly ``tags`` (deduplicated, in order)."""
    live = {t.value: t for t in image.tags if not t.deleted}
    for value, row in live.items():
        if value not in tags:
            _soft_delete(row, now)
    for value in tags:
        if value not in live:
            image.tags.append(models.ImageTag(value=value, created_at=now,
                                              updated_at=now, deleted=False))


# ---------------------------------------------------------------- operations

def image_create(db, ctx, values):
    """Create an image record; returns its dict.

    ``values`` uses the image dict keys; ``status`` is required, ``id`` optional
    (UUID-like; stored lower-case), non-admins always own what they create.
    Raises Invalid, or Duplicate when the id is taken (also by a deleted image).
    """
    cols, props, locations, tags = _clean_values(ctx, values, creating=True)
    image_id = cols['id']
    now = db.now()

    def txn(session):
        if session.get(models.Image, image_id) is not None:
            raise _duplicate(image_id)
        image = models.Image(created_at=now, updated_at=now, deleted=False, **cols)
        image.properties = []
        image.locations = []
        image.tags = []
        _set_properties(image, props or {}, False, now)
        if locations:
            _set_locations(image, locations, now)
        if tags:
            set_tags(image, tags, now)
        session.add(image)
        _flush(session, image_id)
        return image_to_dict(image)

    return db.run(txn, write=True)


def image_update(db, ctx, image_id, values, purge_props=False, from_state=None):
    """Update an image; returns the new dict.

    ``properties`` upserts the given keys (``purge_props``: the stored set becomes
    exactly the given one); ``locations`` and ``tags`` replace their sets when given.
    ``from_state``: apply only if the current status equals it, else Conflict.
    Admins may update deleted images (the scrubber finishes them); others get
    ImageNotFound/Forbidden as :func:`check_mutable` says.
    """
    cols, props, locations, tags = _clean_values(ctx, values, creating=False)
    now = db.now()

    def txn(session):
        image = load_image(session, ctx, image_id, show_deleted=True, for_update=True)
        check_mutable(session, ctx, image)
        if from_state is not None and image.status != from_state:
            raise exception.Conflict('Image operation conflicts')
        for key, value in cols.items():
            setattr(image, key, value)
        if props is not None or purge_props:
            _set_properties(image, props or {}, purge_props, now)
        if locations is not None:
            _set_locations(image, locations, now)
        if tags is not None:
            set_tags(image, tags, now)
        image.updated_at = now
        _flush(session, image.id)
        return image_to_dict(image, show_deleted_locations=image.deleted)

    return db.run(txn, write=True)


def image_destroy(db, ctx, image_id):
    """Soft-delete an image with its properties, locations, members and tags.

    The status is left as it is (the API sets it first).  Returns the deleted image's
    dict (locations included, with their final status).  Destroying an image that is
    already deleted (admins only can see it) changes nothing.
    """
    def txn(session):
        image = load_image(session, ctx, image_id, show_deleted=True, for_update=True)
        check_mutable(session, ctx, image)
        if not image.deleted:
            now = db.now()
            _soft_delete(image, now)
            for row in image.properties + image.tags:
                if not row.deleted:
                    _soft_delete(row, now)
            for row in image.locations:
                if not row.deleted:
                    row.status = 'deleted'
                    _soft_delete(row, now)
            members = session.scalars(select(models.ImageMember).where(
                models.ImageMember.image_id == image.id,
                models.ImageMember.deleted == false()))
            for row in members:
                _soft_delete(row, now)
            session.flush()
        return image_to_dict(image, show_deleted_locations=True)

    return db.run(txn, write=True)


def image_get(db, ctx, image_id, force_show_deleted=False):
    """The dict of an image ``ctx`` may see, else ImageNotFound (never Forbidden).

    ``force_show_deleted`` lets admins see deleted images (and deleted locations).
    """
    canonical = validation.canonical_id(image_id)
    if canonical is None:
        raise exception.ImageNotFound(image_id=image_id)

    def txn(conn):
        row = reads.image_row(conn, canonical)
        if row is None or (row.deleted and not (force_show_deleted and ctx.is_admin)) \
                or not can_see(conn, ctx, row):
            raise exception.ImageNotFound(image_id=image_id)
        return reads.image_dicts(conn, [row], show_deleted_locations=force_show_deleted)[0]

    return db.read(txn)


def user_get_storage_usage(db, ctx, owner_id, image_id=None):
    """Bytes stored for ``owner_id``: as Glance counts it, each image's size times its
    locations not yet deleted, over images neither killed nor deleted (status),
    leaving out ``image_id`` (the image being uploaded)."""
    image_cls, loc_cls = models.Image, models.ImageLocation

    def txn(session):
        stmt = (select(func.coalesce(func.sum(image_cls.size), 0))
                .select_from(image_cls)
                .join(loc_cls, loc_cls.image_id == image_cls.id)
                .where(image_cls.owner == owner_id,
                       image_cls.size > 0,
                       image_cls.status.not_in(('killed', 'deleted')),
                       loc_cls.status != 'deleted'))
        if image_id is not None:
            stmt = stmt.where(image_cls.id != (validation.canonical_id(image_id)
                                               or image_id))
        return int(session.execute(stmt).scalar_one())

    return db.run(txn)


def _duplicate(image_id):
    return exception.Duplicate('Image with identifier %s already exists!' % image_id)


def _flush(session, image_id):
    try:
        session.flush()
    except sa_exc.IntegrityError as e:
        text = str(e.orig).lower()
        if 'images.id' in text or 'images_pkey' in text or "for key 'primary'" in text \
                or "key 'images.primary'" in text:
            raise _duplicate(image_id)
        # MySQL compares property names case-insensitively: 'Foo' and 'foo' collide.
        LOG.info('Integrity error storing image %s: %s', image_id, e.orig)
        raise exception.Invalid('Failed to store image metadata: duplicate property '
                                'name (names that differ only in case or trailing '
                                'spaces collide on this database)')
