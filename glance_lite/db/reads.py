"""The read path of image records: rows straight to plain dicts, without the ORM.

Shows and list pages are most of what the registry answers.  Reading them through
Core statements (compiled once, then cached) in two queries — the images, then all
of their live properties, locations and tags in one UNION ALL — costs a fraction of
loading ORM objects with three selectin loads.  The dicts are those of
:func:`glance_lite.db.images.image_to_dict`.
"""
import json
import logging

from sqlalchemy import bindparam, false, func, literal, null, select, union_all

from glance_lite.db import models

LOG = logging.getLogger(__name__)

IMAGES = models.Image.__table__
_PROPERTIES = models.ImageProperty.__table__
_LOCATIONS = models.ImageLocation.__table__
_TAGS = models.ImageTag.__table__

_PROPERTY, _LOCATION, _TAG = 0, 1, 2


def live(deleted):
    """Rows not soft-deleted.  Through a function, so that no engine answers it from
    the deleted index (one value for nearly every row) instead of the image_id one."""
    return func.coalesce(deleted, false()) == false()


def decode_metadata(text):
    """A location's ``meta_data`` column as a dict ({} when empty or unreadable)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        LOG.warning('Ignoring unreadable location metadata %r', text[:80])
        return {}
    return value if isinstance(value, dict) else {}


def _children_statement(show_deleted_locations, of_one):
    ids = bindparam('image_ids', expanding=True)

    def matches(table):
        # One image: "image_id = :image_id"; a page: an expanding IN, which SQLAlchemy
        # renders anew on every execution.
        if of_one:
            return table.c.image_id == bindparam('image_id')
        return table.c.image_id.in_(ids)

    locations = select(literal(_LOCATION), _LOCATIONS.c.image_id, _LOCATIONS.c.id,
                       _LOCATIONS.c.value, _LOCATIONS.c.meta_data, _LOCATIONS.c.status
                       ).where(matches(_LOCATIONS))
    if not show_deleted_locations:
        locations = locations.where(live(_LOCATIONS.c.deleted))
    children = union_all(
        select(literal(_PROPERTY).label('kind'), _PROPERTIES.c.image_id, _PROPERTIES.c.id,
               _PROPERTIES.c.name.label('a'), _PROPERTIES.c.value.label('b'),
               null().label('c')
               ).where(matches(_PROPERTIES), live(_PROPERTIES.c.deleted)),
        locations,
        select(literal(_TAG), _TAGS.c.image_id, _TAGS.c.id, _TAGS.c.value, null(), null()
               ).where(matches(_TAGS), live(_TAGS.c.deleted)),
    ).subquery()
    # Insertion order within each kind: locations are ordered, tags keep theirs.
    return select(children).order_by(children.c.kind, children.c.id)


# (show_deleted_locations, of_one) -> statement
_CHILDREN = {(deleted, one): _children_statement(deleted, one)
             for deleted in (False, True) for one in (False, True)}
_BY_ID = select(IMAGES).where(IMAGES.c.id == bindparam('image_id'))


def image_row(conn, image_id):
    """The images row ``image_id`` (deleted or not), or None."""
    return conn.execute(_BY_ID, {'image_id': image_id}).first()


def image_dicts(conn, rows, show_deleted_locations=False):
    """The image dicts of ``rows`` (images rows), in the same order, with their live
    properties and tags, and live locations unless ``show_deleted_locations``."""
    out, by_id = [], {}
    fields = rows[0]._fields if rows else ()
    for row in rows:
        image = dict(zip(fields, row))
        image.update(properties={}, locations=[], tags=[])
        out.append(image)
        by_id[image['id']] = image
    if not by_id:
        return out
    if len(by_id) == 1:
        children = conn.execute(_CHILDREN[bool(show_deleted_locations), True],
                                {'image_id': next(iter(by_id))})
    else:
        children = conn.execute(_CHILDREN[bool(show_deleted_locations), False],
                                {'image_ids': list(by_id)})
    for kind, image_id, child_id, a, b, c in children:
        image = by_id[image_id]
        if kind == _PROPERTY:
            image['properties'][a] = b
        elif kind == _LOCATION:
            image['locations'].append({'id': child_id, 'url': a,
                                       'metadata': decode_metadata(b), 'status': c})
        else:
            image['tags'].append(a)
    return out
