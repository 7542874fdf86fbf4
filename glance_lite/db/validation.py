"""Checks on image values before they reach SQL: bad input is a 400, never a DB error.

Pure functions; each raises :class:`glance_lite.common.exception.Invalid` with the
message Glance's registry gives (spec/registry.md §2) and returns the cleaned value.
"""
import re
import uuid

from oslo_utils import strutils

from glance_lite.common import exception
from glance_lite.db import models

IMAGE_STATUSES = ('queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete',
                  'deactivated', 'uploading', 'importing')
LOCATION_STATUSES = ('active', 'pending_delete', 'deleted')
MEMBER_STATUSES = ('pending', 'accepted', 'rejected')
MAX_INT32 = 2 ** 31 - 1
MAX_INT64 = 2 ** 63 - 1

# Column widths: longer strings would be a DB error (or silent truncation).
STRING_LIMITS = {
    'name': 255, 'disk_format': 20, 'container_format': 20, 'checksum': 32,
    'os_hash_algo': 64, 'os_hash_value': 128, 'owner': 255,
}

_FOUR_BYTE_CHARS = re.compile('[\U00010000-\U0010ffff]')


def has_4byte_chars(value):
    return isinstance(value, str) and _FOUR_BYTE_CHARS.search(value) is not None


def check_no_4byte(values):
    """Refuse 4-byte UTF-8 characters (MySQL utf8 tables cannot store them).

    Keys of nested dicts (property names) and string values are checked; the value
    message names the key in title case, as Glance does ("Name can't ...").
    """
    for key, value in values.items():
        if isinstance(value, dict):
            check_no_4byte(value)
            continue
        if has_4byte_chars(key):
            raise exception.Invalid("Property names can't contain 4 byte unicode.")
        if has_4byte_chars(value):
            raise exception.Invalid("%s can't contain 4 byte unicode characters."
                                    % str(key).title())


def canonical_id(value):
    """The stored form of an image id: lower-case dashed UUID, or None if not UUID-like.

    Glance accepts any UUID spelling (upper case, no dashes, braces); storing one
    spelling makes ids compare case-insensitively on every engine.
    """
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def image_id(value):
    """An image id given on create: UUID-like or 400 "Invalid image id format"."""
    canonical = canonical_id(value)
    if canonical is None:
        raise exception.Invalid('Invalid image id format')
    return canonical


def status(value):
    if value not in IMAGE_STATUSES:
        raise exception.Invalid("Invalid image status '%s' for image." % value)
    return value


def visibility(value):
    if value not in models.IMAGE_VISIBILITIES:
        raise exception.Invalid("Invalid visibility value: %s" % value)
    return value


def bounded_int(name, value, maximum, default=None):
    """An int in [0, maximum]; None becomes ``default``."""
    if value is None or value == '':
        return default
    if isinstance(value, bool):
        raise exception.Invalid("Invalid int value for %s: %s" % (name, value))
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise exception.Invalid("Invalid int value for %s: %s" % (name, value))
    if number > maximum:
        raise exception.Invalid("'%s' value out of range, must not exceed %d."
                                % (name, maximum))
    if number < 0:
        raise exception.Invalid("'%s' value out of range, must not be negative." % name)
    return number


def boolean(name, value):
    if isinstance(value, bool):
        return value
    try:
        return strutils.bool_from_string(value, strict=True)
    except ValueError:
        raise exception.Invalid("Invalid boolean value for %s: %s" % (name, value))


def short_string(name, value):
    """A string column value within its width (None allowed)."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    limit = STRING_LIMITS[name]
    if len(value) > limit:
        if name == 'name':
            raise exception.Invalid('Image name too long: %d' % len(value))
        if name == 'checksum':
            raise exception.Invalid("Invalid checksum '%s': can't exceed 32 characters"
                                    % value)
        raise exception.Invalid("%s is too long: %d characters (maximum %d)"
                                % (name, len(value), limit))
    return value


def property_name(name):
    if not isinstance(name, str) or not name:
        raise exception.Invalid('Property names must be non-empty strings.')
    if len(name) > 255:
        raise exception.Invalid('Property name too long: %s' % name[:255])
    return name


def property_value(value):
    if value is None or isinstance(value, str):
        return value
    return str(value)


def location(loc):
    """{url, metadata, status[, id]} from a location dict (or a bare URL string)."""
    if isinstance(loc, str):
        loc = {'url': loc}
    if not isinstance(loc, dict) or not isinstance(loc.get('url'), str) \
            or not loc['url']:
        raise exception.Invalid('Each location needs a non-empty "url".')
    metadata = loc.get('metadata') or {}
    if not isinstance(metadata, dict):
        raise exception.Invalid('Location metadata must be an object.')
    loc_status = loc.get('status') or 'active'
    if loc_status not in LOCATION_STATUSES:
        raise exception.Invalid("Invalid location status '%s'. Allowed: %s"
                                % (loc_status, ', '.join(LOCATION_STATUSES)))
    return {'id': loc.get('id'), 'url': loc['url'], 'metadata': metadata,
            'status': loc_status}


def member_status(value):
    if value not in MEMBER_STATUSES:
        raise exception.Invalid("Invalid member status '%s'. Allowed: %s"
                                % (value, ', '.join(MEMBER_STATUSES)))
    return value


def member_name(value):
    if not isinstance(value, str) or not value:
        raise exception.Invalid('A member must be a non-empty project id.')
    if len(value) > 255 or has_4byte_chars(value):
        raise exception.Invalid('Invalid member id: %s' % value[:255])
    return value


def tag(value):
    if not isinstance(value, str) or not value:
        raise exception.Invalid('A tag must be a non-empty string.')
    if len(value) > 255:
        raise exception.Invalid('Tag too long: %d characters (maximum 255)' % len(value))
    if has_4byte_chars(value):
        raise exception.Invalid("Tag can't contain 4 byte unicode characters.")
    return value
