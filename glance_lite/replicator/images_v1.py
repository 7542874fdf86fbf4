"""Images API v1 as glance-replicator speaks it (cli.md §7, api-v1.md).

Records are the JSON form of ``/v1/images/detail`` entries: core fields plus a
``properties`` dict.  The calls are Glance's: pages of ``/v1/images/detail?is_public=None``
(every image, for an admin) followed with ``marker``; ``HEAD`` to see one image on the
other side; ``GET`` for the data; ``POST`` with the source's id, ``x-image-meta-*``
headers and the data; ``PUT`` with headers only for a metadata change.
"""
import urllib.parse

from oslo_utils import strutils

from glance_lite.replicator import Difference
from glance_lite.replicator import endpoint as endpoint_mod

META = 'x-image-meta-'
PROPERTY = 'x-image-meta-property-'
PAGE_SIZE = 100

_INT_FIELDS = frozenset(['size', 'min_ram', 'min_disk', 'virtual_size'])
_BOOL_FIELDS = frozenset(['is_public', 'protected', 'deleted'])
# Never written: set by the target itself, or meaningless for a live copy.
_NOT_WRITTEN = frozenset(['id', 'status', 'deleted', 'deleted_at', 'properties'])
# Fields that describe the data: a metadata update must not change them.
DATA_FIELDS = frozenset(['size', 'checksum'])


def _quote(image_id):
    return urllib.parse.quote(image_id, safe='')


def _header_value(value):
    """Header text of a value: ``True``/``False`` as Glance renders them, '' for null.

    Non-latin-1 text travels as its UTF-8 bytes, as Glance's clients sent it.
    """
    if value is None:
        return b''
    text = str(value)
    try:
        return text.encode('latin-1')
    except UnicodeEncodeError:
        return text.encode('utf-8')


def _same(ours, theirs):
    """Equal values, where ``theirs`` may be header text.

    A v1 server renders a stored string as its latin-1 bytes, or as UTF-8 when it has
    characters beyond latin-1; the client reads latin-1 either way.  So a received
    value matches a string that is either the text as read or its UTF-8 reading: the
    two cannot be told apart on the wire.
    """
    if ours == theirs:
        return True
    if not (isinstance(ours, str) and isinstance(theirs, str)):
        return False
    try:
        return theirs.encode('latin-1').decode('utf-8') == ours
    except UnicodeError:
        return False


def _typed(field, text):
    if field in _INT_FIELDS:
        try:
            return int(text)
        except ValueError:
            return None if text == 'None' else text
    if field in _BOOL_FIELDS:
        return strutils.bool_from_string(text)
    return text


def record_from_headers(headers):
    """The record an image's ``HEAD`` response describes (absent fields are null)."""
    record = {'properties': {}}
    for name, value in headers.items():
        name = name.lower()
        if name.startswith(PROPERTY):
            record['properties'][name[len(PROPERTY):]] = value
        elif name.startswith(META):
            field = name[len(META):].replace('-', '_')
            record[field] = _typed(field, value)
    return record


def headers_for(record, fields):
    """``x-image-meta-*`` headers for ``fields`` of ``record`` (and its properties when
    ``properties`` is among them)."""
    headers = {}
    for field in fields:
        if field == 'properties':
            for key, value in (record.get('properties') or {}).items():
                headers[PROPERTY + key] = _header_value(value)
        elif field in record:
            headers[META + field] = _header_value(record[field])
    return headers


def differences(wanted, current):
    """How ``current`` differs from ``wanted``, field by field.

    Only the fields ``wanted`` has count (the caller removed the ones not replicated); a
    null and an absent value are the same (v1 never sends null fields); properties are
    compared one by one, both ways; text is compared as the v1 wire shows it
    (:func:`_same`).
    """
    found = []
    for field in sorted(wanted):
        if field == 'properties':
            continue
        if not _same(wanted[field], current.get(field)):
            found.append(Difference(field, wanted[field], current.get(field)))
    if 'properties' in wanted:
        ours = {k: v for k, v in (wanted['properties'] or {}).items() if v is not None}
        theirs = {k: v for k, v in (current.get('properties') or {}).items()
                  if v is not None}
        for key in sorted(set(ours) | set(theirs)):
            if not _same(ours.get(key), theirs.get(key)):
                found.append(Difference('properties.%s' % key, ours.get(key),
                                        theirs.get(key)))
    return found


class ImagesV1:
    """One server's images over API v1.

    :param endpoint: a :class:`~glance_lite.replicator.endpoint.Endpoint`.
    """

    api_version = 1
    data_fields = DATA_FIELDS
    differences = staticmethod(differences)

    def __init__(self, endpoint):
        self.endpoint = endpoint

    @staticmethod
    def is_record(record):
        """True for a record in this API version's form (a dump may hold either)."""
        return isinstance(record, dict) and isinstance(record.get('properties'), dict)

    def list_images(self):
        """Every image the caller may list, all pages (killed and deleted ones aside)."""
        images, marker = [], None
        while True:
            query = {'is_public': 'None', 'limit': PAGE_SIZE}
            if marker:
                query['marker'] = marker
            page = self.endpoint.json(
                'GET', '/v1/images/detail?' + urllib.parse.urlencode(query))
            found = (page or {}).get('images') or []
            if not found:
                return images
            images.extend(found)
            marker = found[-1]['id']

    def get(self, image_id):
        """The image's record, or None when the server has no such image."""
        try:
            resp = self.endpoint.request('HEAD', '/v1/images/%s' % _quote(image_id))
        except endpoint_mod.RequestFailed as e:
            if e.status == 404:
                return None
            raise
        if META + 'status' not in resp.headers:
            return None
        return record_from_headers(resp.headers)

    def download(self, record):
        """The image's data as an :class:`~glance_lite.replicator.endpoint.Download`."""
        return self.endpoint.download('/v1/images/%s' % _quote(record['id']))

    def create(self, wanted, chunks):
        """``POST`` a new image with ``wanted['id']``, its metadata and data.

        The target checks the size and checksum it is told against what it stores.
        :returns: the target's record of the new image.
        """
        fields = [f for f in wanted if f not in _NOT_WRITTEN] + ['id', 'properties']
        headers = headers_for(wanted, fields)
        headers.update(_data_headers(wanted))
        resp = self.endpoint.upload('POST', '/v1/images', headers, chunks, ok=(201,))
        return _image_of(self.endpoint, 'POST', resp)

    def upload(self, wanted, chunks):
        """Give data (and the wanted metadata) to the target's ``queued`` image.

        :returns: the target's record afterwards.
        """
        fields = [f for f in wanted if f not in _NOT_WRITTEN] + ['properties']
        headers = headers_for(wanted, fields)
        headers.update(_data_headers(wanted))
        path = '/v1/images/%s' % _quote(wanted['id'])
        resp = self.endpoint.upload('PUT', path, headers, chunks, ok=(200,))
        return _image_of(self.endpoint, 'PUT', resp)

    def update(self, wanted, current, found):
        """``PUT`` what makes ``current`` match ``wanted`` in the differences ``found``
        (see :func:`differences`); :returns: the target's record afterwards.

        Only the differing fields are sent; properties, when any differs, all at once
        with ``x-glance-registry-purge-props: true`` so the ones the source lacks go.
        """
        fields = {d.field for d in found if d.field in wanted} - _NOT_WRITTEN - DATA_FIELDS
        props_differ = any(d.field.startswith('properties.') for d in found)
        if props_differ:
            fields.add('properties')
        headers = headers_for(wanted, sorted(fields))
        headers['x-glance-registry-purge-props'] = 'true' if props_differ else 'false'
        path = '/v1/images/%s' % _quote(wanted['id'])
        resp = self.endpoint.request('PUT', path, headers=headers)
        return _image_of(self.endpoint, 'PUT', resp)


def _data_headers(wanted):
    headers = {'Content-Type': 'application/octet-stream',
               'Content-Length': str(wanted.get('size') or 0)}
    # An explicit size even when 0: v1 makes an image with size 0 and no body active.
    headers[META + 'size'] = str(wanted.get('size') or 0)
    if wanted.get('checksum'):
        headers[META + 'checksum'] = wanted['checksum']
    return headers


def _image_of(endpoint, method, resp):
    try:
        return endpoint_mod.decode_json(endpoint, method, '/v1/images', resp)['image']
    except (KeyError, TypeError):
        raise endpoint_mod.RequestFailed(endpoint.name, method, '/v1/images', resp.status,
                                         'the answer has no image')
