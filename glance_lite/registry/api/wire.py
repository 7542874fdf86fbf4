"""Image records on the registry wire (registry.md §2): db dicts → JSON and back.

Out: the v1 field set (``is_public`` derived from ``visibility``) plus ``location`` and
``location_data``, and our v2 extension fields (``visibility``, ``tags``, ``os_hidden``,
``os_hash_algo``, ``os_hash_value``).  In: a request's ``image`` object turned into the
``values`` dict of ``db.api.image_create/image_update``.
"""
from glance_lite.common import exception

BRIEF_FIELDS = ('id', 'name', 'size', 'disk_format', 'container_format', 'checksum')

_PLAIN_FIELDS = ('id', 'name', 'disk_format', 'container_format', 'size', 'virtual_size',
                 'status', 'visibility', 'checksum', 'os_hash_algo', 'os_hash_value',
                 'min_disk', 'min_ram', 'owner', 'protected', 'os_hidden', 'deleted')
_TIME_FIELDS = ('created_at', 'updated_at', 'deleted_at')

# Writable fields the database validates (types, ranges, widths, status set).
_WRITABLE_FIELDS = ('name', 'disk_format', 'container_format', 'size', 'virtual_size',
                    'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'min_disk',
                    'min_ram', 'owner', 'protected', 'os_hidden', 'properties', 'tags')
# NOT NULL columns with a default: null means "not given".
_DEFAULTED_FIELDS = ('min_disk', 'min_ram', 'protected', 'os_hidden')


def format_time(value):
    """``YYYY-MM-DDTHH:MM:SS.ffffff`` of a naive UTC datetime (isoformat: several
    times cheaper than strftime, and every list entry carries two or three)."""
    return value.isoformat(timespec='microseconds') if value is not None else None


def image_to_wire(image):
    """The full wire form of a db image dict."""
    out = {name: image.get(name) for name in _PLAIN_FIELDS}
    for name in _TIME_FIELDS:
        out[name] = format_time(image.get(name))
    out['is_public'] = image.get('visibility') == 'public'
    out['properties'] = dict(image.get('properties') or {})
    out['tags'] = list(image.get('tags') or [])
    locations = [{'id': loc.get('id'), 'url': loc['url'],
                  'metadata': loc.get('metadata') or {},
                  'status': loc.get('status', 'active')}
                 for loc in image.get('locations') or []]
    out['location_data'] = locations
    out['location'] = next((loc['url'] for loc in locations if loc['status'] == 'active'),
                           None)
    return out


def image_to_brief(image):
    """The ``GET /images`` entry of a db image dict."""
    return {name: image.get(name) for name in BRIEF_FIELDS}


def image_from_wire(body, ctx, creating):
    """The db ``values`` for the ``image`` object of a create or update request.

    Here: the wire-only fields (``is_public``/``visibility``, ``location``/
    ``location_data``), the owner rules and the create defaults.  Types, ranges and the
    status set are checked by the database (``exception.Invalid``).  ``created_at``,
    ``updated_at``, ``deleted_at``, ``deleted`` and unknown fields are ignored, as
    Glance's registry does.

    Owner rules: a non-admin caller always creates images it owns and can never change
    an owner; an admin creating without ``owner`` owns the image itself.

    :raises exception.Invalid: a wire field is malformed (the caller adds the
        "Failed to add/update image metadata" prefix).
    """
    values = {name: body[name] for name in _WRITABLE_FIELDS if name in body}
    for name in _DEFAULTED_FIELDS:
        if values.get(name, 0) is None:
            del values[name]
    visibility = _visibility(body)
    if visibility is not None:
        values['visibility'] = visibility
    locations = _locations(body)
    if locations is not None:
        values['locations'] = locations
    if creating:
        if body.get('id') is not None:
            values['id'] = body['id']
        values.setdefault('status', 'active')
        if not ctx.is_admin or 'owner' not in values:
            values['owner'] = ctx.owner
    elif not ctx.is_admin:
        values.pop('owner', None)
    return values


def _visibility(body):
    """``visibility`` from ``is_public`` (v1: true → public, false → shared) or as given;
    None when neither is given."""
    if 'is_public' in body and 'visibility' in body:
        raise exception.Invalid('is_public and visibility cannot be given together')
    if 'visibility' in body:
        return body['visibility']
    is_public = body.get('is_public')
    if is_public is None:
        return None
    if not isinstance(is_public, bool):
        raise exception.Invalid('is_public must be true or false')
    return 'public' if is_public else 'shared'


def _locations(body):
    """``location`` (one URL) and ``location_data`` merged into the db ``locations``
    list; None (leave locations alone) when neither is given.

    ``location`` comes first; a ``location_data`` entry with the same URL lends it its
    id, metadata and status, so an unchanged location keeps its row.
    """
    if 'location' not in body and 'location_data' not in body:
        return None
    url = body.get('location')
    location_data = body.get('location_data') or []
    if not isinstance(location_data, list):
        raise exception.Invalid('location_data must be a list')
    merged = []
    if url is not None:
        merged.append({'url': url, 'metadata': {}, 'status': 'active', 'id': None})
    for item in location_data:
        same = [loc for loc in merged
                if isinstance(item, dict) and loc['url'] == item.get('url')]
        if same:
            same[0].update(item)
        else:
            merged.append(item)
    return merged
