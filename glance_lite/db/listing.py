"""Image lists: filters, who sees what, sort order and marker paging.

One SELECT, plus one for the page's properties, locations and tags (see
:mod:`glance_lite.db.reads`).  The visibility rules are SQL conditions, not a union of
queries, so a page stops reading as soon as it has ``limit`` rows in index order.
"""
import datetime

from oslo_utils import timeutils
from sqlalchemy import and_, exists, false, func, or_, select, true

from glance_lite.common import exception
from glance_lite.db import images, models, reads, validation

Image = models.Image

# Columns a list may be sorted by; the ones that may hold NULL need care in paging.
SORTABLE = ('name', 'status', 'container_format', 'disk_format', 'size', 'virtual_size',
            'id', 'created_at', 'updated_at', 'deleted_at', 'owner', 'min_disk',
            'min_ram', 'visibility', 'checksum', 'protected', 'os_hidden')
_NULLABLE = frozenset(('name', 'container_format', 'disk_format', 'size', 'virtual_size',
                       'updated_at', 'deleted_at', 'owner', 'checksum'))
_MULTI_VALUE = ('name', 'status', 'container_format', 'disk_format', 'id', 'owner',
                'checksum', 'os_hash_value')
_TIME_OPS = {
    'gt': lambda col, v: col > v, 'gte': lambda col, v: col >= v,
    'lt': lambda col, v: col < v, 'lte': lambda col, v: col <= v,
    'eq': lambda col, v: col == v, 'neq': lambda col, v: col != v,
}


def image_get_all(db, ctx, filters=None, marker=None, limit=None, sort_key=None,
                  sort_dir=None, member_status='accepted', is_public=None,
                  admin_as_user=False, v1_mode=False):
    """A page of image dicts visible to ``ctx``.

    :param filters: ``name, status, container_format, disk_format, id, owner,
        checksum, os_hash_value`` (value, or list → IN); ``visibility`` (value, list
        or 'all'); ``min_ram, min_disk, virtual_size`` (int equality); ``size_min, size_max``
        (inclusive); ``changes-since`` (datetime or ISO string: ``updated_at`` later,
        deleted images included); ``protected, os_hidden, deleted`` (bool);
        ``properties`` ({name: value}, all must match); ``tags`` (all present);
        ``created_at``/``updated_at`` as (op, datetime) with op in gt, gte, lt, lte,
        eq, neq.  Any other key is a property equality, as in Glance.
        Deleted images are left out unless ``changes-since`` is given or
        ``deleted`` is True; ``killed`` ones whenever deleted ones are left out.
    :param marker: id of the last image of the previous page (NotFound if unknown
        or invisible).
    :param sort_key, sort_dir: lists (or single values); one direction applies to
        every key; default created_at desc; created_at and id break ties.
    :param member_status: membership status that makes a ``shared`` image visible
        to a non-owner ('all': any).
    :param is_public: True → only public, False → only non-public images.
    :param admin_as_user: list for an admin as for a regular user.
    :param v1_mode: registry v1 semantics (api-v1.md §3): members of any status;
        an admin's ``is_public=True`` means "as a user"; an admin listing as admin
        sees every image, community ones included.
    """
    filters = dict(filters or {})
    keys, dirs = _sort_spec(sort_key, sort_dir)
    limit = _limit(limit)
    if v1_mode:
        member_status = 'all'
        if ctx.is_admin and is_public is True:
            admin_as_user, is_public = True, None
    regular_user = not ctx.is_admin or admin_as_user
    showing_deleted = 'changes-since' in filters or filters.get('deleted') is True

    cols = _columns(db.dialect)
    conditions = _filter_conditions(filters, cols)
    if is_public is not None:
        visibility = cols['visibility']
        conditions.append(visibility == 'public' if is_public else visibility != 'public')
    if regular_user:
        conditions.append(_visible_to_user(ctx.owner, member_status, cols))
    conditions.extend(_visibility_scope(ctx, filters.get('visibility'),
                                        regular_user, v1_mode, cols))

    def txn(conn):
        stmt = select(reads.IMAGES).where(*conditions)
        if marker is not None:
            marker_image = _marker_image(conn, ctx, marker, showing_deleted)
            stmt = stmt.where(_after(marker_image, keys, dirs))
        stmt = stmt.order_by(*_order_by(db.dialect, keys, dirs))
        if limit is not None:
            stmt = stmt.limit(limit)
        return reads.image_dicts(conn, conn.execute(stmt).all(),
                                 show_deleted_locations=showing_deleted)

    return db.read(txn)


# ---------------------------------------------------------------- arguments

def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _sort_spec(sort_key, sort_dir):
    keys = _as_list(sort_key) or ['created_at']
    dirs = _as_list(sort_dir)
    for key in keys:
        if key not in SORTABLE:
            raise exception.InvalidSortKey('Unsupported sort_key %s. Acceptable values: %s'
                                           % (key, ', '.join(SORTABLE)))
    for d in dirs:
        if d not in ('asc', 'desc'):
            raise exception.InvalidParameterValue(
                "Unknown sort direction, must be 'desc' or 'asc'")
    if len(dirs) > 1 and len(dirs) != len(keys):
        raise exception.InvalidParameterValue(
            'The number of sort directions must match the number of sort keys')
    default_dir = dirs[0] if len(dirs) == 1 else 'desc'
    if len(dirs) <= 1:
        dirs = [default_dir] * len(keys)
    keys, dirs = list(keys), list(dirs)
    for key in ('created_at', 'id'):
        if key not in keys:
            keys.append(key)
            dirs.append(default_dir)
    return keys, dirs


def _limit(limit):
    if limit is None:
        return None
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise exception.Invalid('limit param must be an integer')
    if limit < 0:
        raise exception.Invalid('limit param must be positive')
    return limit


def _utc(value, name):
    if isinstance(value, str):
        try:
            value = timeutils.parse_isotime(value)
        except ValueError:
            raise exception.Invalid('Bad "%s" query filter format. Use ISO 8601 '
                                    'DateTime notation.' % name)
    if not isinstance(value, datetime.datetime):
        raise exception.Invalid('Bad "%s" query filter format. Use ISO 8601 '
                                'DateTime notation.' % name)
    return timeutils.normalize_time(value)


def _int_filter(name, value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise exception.Invalid('Bad value passed to filter %s got %s' % (name, value))


def _range_filter(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise exception.InvalidFilterRangeValue(
            'Unable to filter on a range with a non-numeric value.')


def _time_filter(name, value):
    """(op, datetime), 'op:ISO' or a bare datetime (eq) → SQL condition."""
    column = getattr(Image, name)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        op, when = value
    elif isinstance(value, str) and ':' in value and value.split(':', 1)[0] in _TIME_OPS:
        op, when = value.split(':', 1)
    else:
        op, when = 'eq', value
    if op not in _TIME_OPS:
        raise exception.Invalid("Unable to filter by unknown operator '%s'." % op)
    return _TIME_OPS[op](column, _utc(when, name))


# ---------------------------------------------------------------- conditions

# Columns of conditions that nearly every row meets (deleted, os_hidden, the implicit
# visibility rules), by engine.  Given an index on such a column, SQLite (which keeps
# no statistics) and MariaDB (even after ANALYZE TABLE: it intersects the deleted and
# os_hidden indexes) read every matching row through it and sort, instead of walking
# the index that serves the ORDER BY and stopping after ``limit`` rows.  For them the
# columns are wrapped in coalesce(column, column), which no index can answer.
# PostgreSQL's statistics get the plan right with the plain columns, and its estimates
# of the wrapped ones are blind.  Built once: building expressions costs more than a
# page's query on a small table.
_PLAIN = {'deleted': Image.deleted, 'os_hidden': Image.os_hidden,
          'protected': Image.protected, 'visibility': Image.visibility,
          'member_deleted': models.ImageMember.deleted}
_UNINDEXED = {name: func.coalesce(column, column) for name, column in _PLAIN.items()}


def _columns(dialect):
    return _PLAIN if dialect == 'postgresql' else _UNINDEXED


def _property_match(name, value):
    prop = models.ImageProperty
    return exists().where(prop.image_id == Image.id, prop.name == name,
                          prop.value == value, prop.deleted == false())


def _tag_match(value):
    tag = models.ImageTag
    return exists().where(tag.image_id == Image.id, tag.value == value,
                          tag.deleted == false())


def _filter_conditions(filters, cols):
    conditions = []
    deleted = filters.get('deleted')
    if deleted is not None:
        deleted = validation.boolean('deleted', deleted)
    elif 'changes-since' not in filters:
        deleted = False
    if deleted is not None:
        conditions.append(cols['deleted'] == deleted)
    if deleted is False:
        conditions.append(Image.status != 'killed')

    for key, value in filters.items():
        if key in ('deleted', 'visibility'):
            continue
        if key in _MULTI_VALUE:
            values = _as_list(value)
            if key == 'id':
                values = [validation.canonical_id(v) or v for v in values]
            column = getattr(Image, key)
            conditions.append(column == values[0] if len(values) == 1
                              else column.in_(values))
        elif key in ('min_ram', 'min_disk', 'virtual_size'):
            conditions.append(getattr(Image, key) == _int_filter(key, value))
        elif key == 'size_min':
            conditions.append(Image.size >= _range_filter(value))
        elif key == 'size_max':
            conditions.append(Image.size <= _range_filter(value))
        elif key == 'changes-since':
            conditions.append(Image.updated_at > _utc(value, key))
        elif key in ('protected', 'os_hidden'):
            conditions.append(cols[key] == validation.boolean(key, value))
        elif key in ('created_at', 'updated_at'):
            conditions.append(_time_filter(key, value))
        elif key == 'properties':
            if not isinstance(value, dict):
                raise exception.Invalid('The properties filter must be an object.')
            conditions.extend(_property_match(k, v) for k, v in value.items())
        elif key == 'tags':
            conditions.extend(_tag_match(t) for t in _as_list(value))
        else:
            conditions.append(_property_match(key, value))
    return conditions


def _visible_to_user(owner, member_status, cols):
    """Public and community images, the caller's own, and shared images the caller
    is a live member of (with ``member_status`` unless 'all')."""
    visibility = cols['visibility']
    visible = [visibility.in_(('public', 'community'))]
    if owner is None:
        # As in Glance: an owner-less caller (the no-auth pipelines list "as a user")
        # sees the owner-less images those pipelines create.
        visible.append(Image.owner.is_(None))
    else:
        member = models.ImageMember
        member_conds = [member.image_id == Image.id, member.member == owner,
                        cols['member_deleted'] == false()]
        if member_status != 'all':
            member_conds.append(member.status == member_status)
        visible.append(Image.owner == owner)
        visible.append(and_(visibility == 'shared', exists().where(*member_conds)))
    return or_(*visible)


def _visibility_scope(ctx, visibility, regular_user, v1_mode, cols):
    """Glance's community rule: without a visibility filter, community images show
    only to their owner (v1 admins listing as admins see everything)."""
    if visibility is not None:
        values = _as_list(visibility)
        if 'all' in values:
            return []
        for v in values:
            validation.visibility(v)
        return [Image.visibility.in_(values)]
    if v1_mode and not regular_user:
        return []
    not_community = cols['visibility'] != 'community'
    if ctx.owner is None:
        return [not_community]
    return [or_(Image.owner == ctx.owner, not_community)]


# ---------------------------------------------------------------- order and paging

def _order_by(dialect, keys, dirs):
    """ORDER BY with NULL as the smallest value on every engine (PostgreSQL's
    default is the opposite), so a marker means the same thing everywhere."""
    clauses = []
    for key, direction in zip(keys, dirs):
        column = getattr(Image, key)
        clause = column.asc() if direction == 'asc' else column.desc()
        if dialect == 'postgresql' and key in _NULLABLE:
            clause = clause.nulls_first() if direction == 'asc' else clause.nulls_last()
        clauses.append(clause)
    return clauses


def _after(marker, keys, dirs):
    """Rows strictly after ``marker`` in the (keys, dirs) order, NULL smallest."""
    alternatives = []
    equal_so_far = []
    for key, direction in zip(keys, dirs):
        column = getattr(Image, key)
        value = getattr(marker, key)
        if value is None:
            beyond = column.is_not(None) if direction == 'asc' else false()
            same = column.is_(None)
        elif direction == 'asc':
            beyond = column > value
            same = column == value
        else:
            beyond = column < value
            if key in _NULLABLE:
                beyond = or_(beyond, column.is_(None))
            same = column == value
        alternatives.append(and_(*equal_so_far, beyond))
        equal_so_far.append(same)
    condition = or_(*alternatives)
    # A plain range on the first key lets every engine seek in its index.
    first, first_value = getattr(Image, keys[0]), getattr(marker, keys[0])
    if first_value is not None and keys[0] not in _NULLABLE:
        bound = first >= first_value if dirs[0] == 'asc' else first <= first_value
        condition = and_(bound, condition)
    return condition if alternatives else true()


def _marker_image(conn, ctx, marker, showing_deleted):
    canonical = validation.canonical_id(marker)
    image = reads.image_row(conn, canonical) if canonical else None
    if image is None or (image.deleted and not showing_deleted) \
            or not images.can_see(conn, ctx, image):
        raise exception.NotFound('Invalid marker. Image could not be found.')
    return image
