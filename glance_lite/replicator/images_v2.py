"""Images API v2 for glance-replicator: an extension, Glance's replicator spoke only v1.

Records are v2 image documents (api-v2.md §3.1).  Listing follows ``next`` links, once
for the visible images and once more for the hidden ones (``os_hidden=true``); a copy
is ``POST /v2/images`` with the source's id and writable fields, then ``PUT .../file``
with the data; metadata changes are one JSON-patch ``PATCH``.  A failed upload leaves
a v2 image ``queued``, and the next run uploads into it.
"""
import urllib.parse

from glance_lite.replicator import Difference
from glance_lite.replicator import endpoint as endpoint_mod

PAGE_SIZE = 100
PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'

# Base properties a client may write (api-v2.md §4.1).
WRITABLE = frozenset(['name', 'visibility', 'protected', 'os_hidden', 'container_format',
                      'disk_format', 'min_ram', 'min_disk', 'owner', 'tags'])
# Only settable while the image is queued (api-v2.md §4.4).
FORMATS = frozenset(['disk_format', 'container_format'])
# Set by the server; compared, never written.
READ_ONLY = frozenset(['id', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size',
                       'virtual_size', 'created_at', 'updated_at', 'deleted', 'deleted_at'])
# Differ between deployments by nature (links and store locations): never compared.
LOCAL = frozenset(['self', 'file', 'schema', 'direct_url', 'locations', 'stores'])
DATA_FIELDS = frozenset(['size', 'checksum', 'os_hash_value'])


def _quote(image_id):
    return urllib.parse.quote(image_id, safe='')


def _is_custom(key):
    return key not in WRITABLE and key not in READ_ONLY and key not in LOCAL


def _comparable(field, value):
    return sorted(value) if field == 'tags' and isinstance(value, list) else value


def differences(wanted, current):
    """How ``current`` differs from ``wanted``: every field ``wanted`` has (links and
    locations aside), plus custom properties only ``current`` has."""
    found = []
    for field in sorted(wanted):
        if field in LOCAL:
            continue
        if field == 'os_hash_value' and wanted.get('os_hash_algo') != current.get(
                'os_hash_algo'):
            continue  # digests of different algorithms cannot be compared
        ours, theirs = wanted[field], current.get(field)
        if _comparable(field, ours) != _comparable(field, theirs):
            found.append(Difference(field, ours, theirs))
    for key in sorted(set(current) - set(wanted)):
        if _is_custom(key):
            found.append(Difference(key, None, current[key]))
    return found


def _pointer(key):
    return '/' + key.replace('~', '~0').replace('/', '~1')


def patch_for(found, current):
    """JSON-patch operations for the differences a client may change, and the list of
    those it may not (read-only fields, formats of an image that is not queued)."""
    ops, unchangeable = [], []
    for diff in found:
        field = diff.field
        if field in READ_ONLY or (field in FORMATS and current.get('status') != 'queued'):
            unchangeable.append(diff)
        elif field in WRITABLE:
            ops.append({'op': 'replace', 'path': _pointer(field), 'value': diff.source})
        elif diff.source is None:
            ops.append({'op': 'remove', 'path': _pointer(field)})
        else:
            # v2.1 "add" also overwrites: one operation whether or not the key exists.
            ops.append({'op': 'add', 'path': _pointer(field), 'value': diff.source})
    return ops, unchangeable


class ImagesV2:
    """One server's images over API v2.

    :param endpoint: a :class:`~glance_lite.replicator.endpoint.Endpoint`.
    """

    api_version = 2
    data_fields = DATA_FIELDS
    differences = staticmethod(differences)

    def __init__(self, endpoint):
        self.endpoint = endpoint

    @staticmethod
    def is_record(record):
        return (isinstance(record, dict) and 'visibility' in record
                and not isinstance(record.get('properties'), dict))

    def list_images(self):
        """Every image the caller may list, hidden ones included, all pages."""
        images, seen = [], set()
        for extra in ({}, {'os_hidden': 'true'}):
            query = dict(extra, limit=PAGE_SIZE)
            path = '/v2/images?' + urllib.parse.urlencode(query)
            while path:
                page = self.endpoint.json('GET', path) or {}
                for image in page.get('images') or []:
                    if image['id'] not in seen:
                        seen.add(image['id'])
                        images.append(image)
                path = page.get('next')
        return images

    def get(self, image_id):
        """The image's document, or None when the server shows no such image."""
        try:
            return self.endpoint.json('GET', '/v2/images/%s' % _quote(image_id))
        except endpoint_mod.RequestFailed as e:
            if e.status == 404:
                return None
            raise

    def download(self, record):
        return self.endpoint.download('/v2/images/%s/file' % _quote(record['id']))

    def create(self, wanted, chunks):
        """``POST`` the image with its id and writable fields, then upload its data.

        :returns: the target's document afterwards.
        """
        body = {k: v for k, v in wanted.items()
                if k == 'id' or k in WRITABLE or _is_custom(k)}
        self.endpoint.json('POST', '/v2/images', body=body, ok=(201,))
        return self.upload(wanted, chunks)

    def upload(self, wanted, chunks):
        """``PUT`` the data of the target's ``queued`` image; :returns: its document."""
        path = '/v2/images/%s/file' % _quote(wanted['id'])
        headers = {'Content-Type': 'application/octet-stream',
                   'Content-Length': str(wanted.get('size') or 0)}
        self.endpoint.upload('PUT', path, headers, chunks, ok=(204,))
        return self.get(wanted['id'])

    def update(self, wanted, current, found):
        """One ``PATCH`` for the differences in ``found`` that a client may change.

        :returns: the target's document afterwards (``current`` when nothing could be
            sent).
        """
        ops, _unchangeable = patch_for(found, current)
        if not ops:
            return current
        return self.endpoint.json('PATCH', '/v2/images/%s' % _quote(wanted['id']),
                                  body=ops, headers={'Content-Type': PATCH_TYPE})
