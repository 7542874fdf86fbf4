"""The JSON-patch body of ``PATCH /v2/images/{id}``: parsing, and applying the changes to
an image view (api-v2.md §4.4).

Only the rules of the patch document itself live here; ownership, policy, status,
quotas and location visibility are checked by the caller, who compares the image before
and after :func:`apply`.
"""
import copy
import dataclasses
import json
import re

from glance_lite.api.v2 import schemas as v2_schemas
from glance_lite.common import exception

MEDIA_TYPES = ('application/openstack-images-v2.0-json-patch',
               'application/openstack-images-v2.1-json-patch')
# v2.0 is the deprecated draft form ({"add": "/path", "value": ...}); v2.1 is RFC 6902.
_DRAFT_MEDIA_TYPE = MEDIA_TYPES[0]
OPERATIONS = ('add', 'remove', 'replace')

# Paths are one segment deep, except an element of the locations list by position.
_PATH_DEPTHS = {('locations', 'add'): 2, ('locations', 'remove'): 2}
_INDEX = re.compile(r'0|[1-9][0-9]*')
_BAD_ESCAPE = re.compile(r'~(?![01])')


@dataclasses.dataclass(frozen=True)
class Change:
    """One operation of a patch.

    :param op: ``'add'``, ``'remove'`` or ``'replace'``.
    :param path: the decoded JSON-pointer segments, e.g. ``('locations', '-')``.
    :param value: the new value (None for ``remove``, which has none).
    """

    op: str
    path: tuple
    value: object = None


def _media_type_of(content_type):
    """``content_type`` without parameters, in lower case ('' when missing)."""
    return (content_type or '').split(';')[0].strip().lower()


def parse(content_type, body_bytes):
    """The changes of a PATCH request, in order.

    :raises exception.UnsupportedMediaType: not one of :data:`MEDIA_TYPES` (415, with the
        ``Accept-Patch`` header).
    :raises exception.Invalid: the body is not a well-formed patch of that media type.
    """
    kind = _media_type_of(content_type)
    if kind not in MEDIA_TYPES:
        raise exception.UnsupportedMediaType(
            'The request media type %s is not supported by this server.' % kind,
            headers={'Accept-Patch': ', '.join(MEDIA_TYPES)})
    operations = _load_json(body_bytes)
    if not isinstance(operations, list):
        raise exception.Invalid('Request body must be a JSON array of operation objects.')
    changes = []
    for raw in operations:
        if not isinstance(raw, dict):
            raise exception.Invalid('Operations must be JSON objects.')
        if kind == _DRAFT_MEDIA_TYPE:
            op, pointer = _draft_operation(raw)
        else:
            op, pointer = _rfc_operation(raw)
        path = decode_pointer(pointer)
        if len(path) != _PATH_DEPTHS.get((path[0], op), 1):
            raise exception.Invalid("Invalid JSON pointer for this resource: '%s'" % pointer)
        if op == 'remove':
            changes.append(Change(op, path))
            continue
        if 'value' not in raw:
            raise exception.Invalid('Operation "%s" requires a member named "value".' % op)
        changes.append(Change(op, path, raw['value']))
    return changes


def _load_json(body_bytes):
    if not body_bytes:
        raise exception.Invalid('Body expected in request.')
    try:
        return json.loads(body_bytes)
    except ValueError:
        raise exception.Invalid('Malformed JSON in request body.')


def _rfc_operation(raw):
    """``(op, pointer)`` of a v2.1 operation: ``{"op": ..., "path": ..., "value": ...}``."""
    if 'op' not in raw:
        raise exception.Invalid('Unable to find `op` in JSON Schema change. It must be one '
                                'of the following: %s.' % ', '.join(OPERATIONS))
    op = raw['op']
    if op not in OPERATIONS:
        raise exception.Invalid('Invalid operation: `%s`. It must be one of the '
                                'following: %s.' % (op, ', '.join(OPERATIONS)))
    if 'path' not in raw:
        raise exception.Invalid("Unable to find 'path' in JSON Schema change")
    return op, raw['path']


def _draft_operation(raw):
    """``(op, pointer)`` of a v2.0 operation: ``{"<op>": pointer, "value": ...}``."""
    ops = [op for op in OPERATIONS if op in raw]
    if not ops:
        raise exception.Invalid('Operation objects must contain exactly one member named '
                                '"add", "remove", or "replace".')
    if len(ops) > 1:
        raise exception.Invalid('Operation objects must contain only one member named '
                                '"add", "remove", or "replace".')
    return ops[0], raw[ops[0]]


def decode_pointer(pointer):
    """The segments of a JSON pointer, ``~1`` and ``~0`` unescaped.

    Only the forms an image patch needs are accepted: at least one segment, none empty.

    :raises exception.Invalid: naming what is wrong with the pointer.
    """
    if not isinstance(pointer, str):
        raise exception.Invalid('Pointer `%s` is not a string.' % json.dumps(pointer))
    if not pointer.startswith('/'):
        raise exception.Invalid('Pointer `%s` does not start with "/".' % pointer)
    if pointer == '/':
        raise exception.Invalid('Pointer `/` does not name a property.')
    if pointer.endswith('/'):
        raise exception.Invalid('Pointer `%s` end with "/".' % pointer)
    if '//' in pointer:
        raise exception.Invalid('Pointer `%s` contains adjacent "/".' % pointer)
    if _BAD_ESCAPE.search(pointer):
        raise exception.Invalid('Pointer `%s` contains "~" not part of a recognized '
                                'escape sequence.' % pointer)
    # RFC 6901 order: '~1' first, so '~01' decodes to '~1' and not to '/'.
    return tuple(segment.replace('~1', '/').replace('~0', '~')
                 for segment in pointer[1:].split('/'))


def apply(image, changes, schemas, media_type):
    """A new image view with ``changes`` applied in order; ``image`` is left untouched.

    Every change is checked (read-only and reserved names, value against the image
    schema) before any is applied, so one bad change fails the whole patch.

    :param image: the flat v2 view: base fields, custom properties at the top level,
        ``tags`` and ``locations`` (a list of ``{"url", "metadata"}``).
    :param changes: from :func:`parse`.
    :param schemas: the worker's :class:`~glance_lite.api.v2.schemas.Schemas`.
    :param media_type: the request's Content-Type (v2.0 forbids ``add`` of a
        property that is already present).
    :raises exception.Forbidden: read-only or reserved attribute; removing a base
        property; emptying the locations list.
    :raises exception.Conflict: replacing or removing a custom property that does not
        exist; v2.0 ``add`` of one that does.
    :raises exception.Invalid: a value the schema refuses; a bad location position; a
        duplicate location.
    """
    for change in changes:
        _check(change, schemas)
    draft = _media_type_of(media_type) == _DRAFT_MEDIA_TYPE
    result = copy.deepcopy(image)
    for change in changes:
        value = copy.deepcopy(change.value)
        if change.path[0] == 'locations':
            _apply_to_locations(result, change.op, change.path, value)
        else:
            _apply_to_property(result, change.op, change.path[0], value, schemas, draft)
    return result


def _check(change, schemas):
    name = change.path[0]
    if name in v2_schemas.READ_ONLY_ON_PATCH:
        raise exception.Forbidden("Attribute '%s' is read-only." % name)
    if name in v2_schemas.RESERVED:
        raise exception.Forbidden("Attribute '%s' is reserved." % name)
    if change.op == 'remove':
        return
    # A location added by position is checked as a one-element locations list.
    value = [change.value] if len(change.path) == 2 else change.value
    schemas.validate_image({name: value})


def _apply_to_property(image, op, name, value, schemas, draft):
    base = schemas.is_base(name)
    if op == 'add':
        # A base property always exists (maybe null): v2.0 can only replace it.
        if draft and (base or name in image):
            raise exception.Conflict('Property %s already present.' % name)
        image[name] = value
    elif op == 'replace':
        if not (base or name in image):
            raise exception.Conflict('Property %s does not exist.' % name)
        image[name] = value
    else:
        if base:
            raise exception.Forbidden('Property %s may not be removed.' % name)
        if name not in image:
            raise exception.Conflict('Property %s does not exist.' % name)
        del image[name]


def _apply_to_locations(image, op, path, value):
    locations = list(image.get('locations') or [])
    if op == 'replace':
        if not value:
            raise exception.Forbidden('Cannot set locations to empty list.')
        for index, location in enumerate(value):
            _refuse_duplicate(value[:index], location)
        image['locations'] = value
        return
    position = path[1]
    if op == 'add':
        index = _position(position, len(locations))
        if index is None:
            raise exception.Invalid('Invalid position for adding a location.')
        _refuse_duplicate(locations, value)
        locations.insert(index, value)
    else:
        if len(locations) == 1:
            raise exception.Forbidden('Cannot remove last location in the image.')
        index = _position(position, len(locations) - 1)
        if index is None:
            raise exception.Invalid('Invalid position for removing a location.')
        del locations[index]
    image['locations'] = locations


def _position(segment, last):
    """The index ``segment`` names in ``0..last`` ('-' means ``last``), else None."""
    if segment == '-':
        index = last
    elif _INDEX.fullmatch(segment):
        index = int(segment)
    else:
        return None
    return index if 0 <= index <= last else None


def _refuse_duplicate(locations, location):
    for existing in locations:
        if (existing['url'], existing['metadata']) == (location['url'], location['metadata']):
            raise exception.Invalid('The location %s already exists' % location['url'])
