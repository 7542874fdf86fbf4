"""v1 image metadata in ``x-image-meta-*`` headers: parsing requests, rendering responses."""
import re

from oslo_utils import strutils
from oslo_utils import timeutils

from glance_lite.common import exception

META_PREFIX = 'x-image-meta-'
PROPERTY_PREFIX = 'x-image-meta-property-'

ALLOWED_FIELDS = frozenset([
    'location', 'size', 'is_public', 'disk_format', 'container_format', 'name', 'status',
    'copy_from', 'uri', 'checksum', 'created_at', 'updated_at', 'deleted_at', 'min_ram',
    'min_disk', 'owner', 'store', 'id', 'protected', 'deleted', 'virtual_size'])
_INT_FIELDS = ('size', 'min_disk', 'min_ram', 'virtual_size')
_BOOL_FIELDS = ('is_public', 'protected', 'deleted')
_TIME_FIELDS = ('created_at', 'updated_at', 'deleted_at')

# Fields a v1 client sees, in header and JSON form (location never leaves the server).
EMITTED_FIELDS = ('id', 'name', 'status', 'is_public', 'disk_format', 'container_format',
                  'size', 'virtual_size', 'checksum', 'min_disk', 'min_ram', 'owner',
                  'protected', 'deleted', 'created_at', 'updated_at', 'deleted_at')
_ISO8601 = re.compile(r'^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?'
                      r'(Z|[+-]\d{2}:?\d{2})?$')


def _to_int(field, value):
    if field == 'virtual_size' and value == 'None':
        return None
    try:
        number = int(value)
    except ValueError:
        raise exception.Invalid("Cannot convert image %s '%s' to an integer."
                                % (field.replace('_', ' '), value))
    if number < 0:
        raise exception.Invalid('Cannot be a negative value.')
    return number


def _check_time(field, value):
    try:
        if not _ISO8601.match(value) or timeutils.parse_isotime(value).year < 1900:
            raise ValueError(value)
    except ValueError:
        raise exception.Invalid('Invalid time format for %s.' % field)
    return value


def parse(headers):
    """The image metadata of a request's ``x-image-meta-*`` headers.

    Returns a dict of core fields plus ``properties``; an empty header value means null.
    Raises Invalid (400) for an unknown field or a malformed value.
    """
    meta = {'properties': {}}
    for name, value in headers.items():
        key = name.lower()
        if not key.startswith(META_PREFIX):
            continue
        value = value.strip() or None
        if key.startswith(PROPERTY_PREFIX):
            prop = key[len(PROPERTY_PREFIX):].replace('-', '_')
            meta['properties'][prop] = value
            continue
        field = key[len(META_PREFIX):].replace('-', '_')
        if field not in ALLOWED_FIELDS:
            raise exception.Invalid('Bad header: %s' % key)
        if value is not None:
            if field in _INT_FIELDS:
                value = _to_int(field, value)
            elif field in _BOOL_FIELDS:
                value = strutils.bool_from_string(value)
            elif field in _TIME_FIELDS:
                value = _check_time(field, value)
        meta[field] = value
    return meta


def _header_value(value):
    text = str(value)
    try:
        text.encode('latin-1')
    except UnicodeEncodeError:
        # Headers are latin-1 on the wire: send the UTF-8 bytes as old clients did.
        text = text.encode('utf-8').decode('latin-1')
    return text


def render(image):
    """Response headers for one image (HEAD and GET of /v1/images/{id})."""
    headers = {}
    for field in EMITTED_FIELDS:
        value = image.get(field)
        if value is not None:
            headers[META_PREFIX + field] = _header_value(value)
    for key, value in (image.get('properties') or {}).items():
        if value is not None:
            headers[PROPERTY_PREFIX + key.lower()] = _header_value(value)
    if image.get('checksum'):
        headers['ETag'] = image['checksum']
    return headers


def to_json(image):
    """The v1 JSON form of an image (create/update responses, detail lists)."""
    body = {field: image.get(field) for field in EMITTED_FIELDS}
    body['properties'] = dict(image.get('properties') or {})
    return body


BRIEF_FIELDS = ('id', 'name', 'size', 'disk_format', 'container_format', 'checksum')


def to_brief_json(image):
    return {field: image.get(field) for field in BRIEF_FIELDS}
