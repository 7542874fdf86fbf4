"""The registry client: glance-api's only road to image records.

One :class:`RegistryClient` per worker holds the connection pool; each request binds
it to the caller with :meth:`RegistryClient.for_context`, and the bound client sends
the caller's identity with every call.  Registry error responses come back as the same
glance_lite exceptions the API raises for its own failures, carrying the registry's
message (``exception.from_status``).

Records travel as the registry's wire dicts (registry.md §2): timestamps stay
``YYYY-MM-DDTHH:MM:SS.ffffff`` strings.  With ``metadata_encryption_key`` set, location
URLs are encrypted in every record sent and decrypted in every record received
(registry.md §5): the registry and its database only ever hold ciphertext.
"""
import html
import json
import logging
import re
import urllib.parse

from glance_lite.common import crypt, exception, http

LOG = logging.getLogger(__name__)

# In-process transport for tests: ``RegistryClient(conf, WSGITransport(app))``.
WSGITransport = http.WSGITransport

_OK = (200, 201, 202, 204)
_HTML_TAG = re.compile(r'<[^>]+>')


class RegistryClient:
    """Pool and settings of the road to glance-registry, built once per worker.

    :param conf: a ConfigOpts with the registry client options registered
        (glance_lite/conf/registry_client.py).
    :param transport: anything with ``request(method, path, body, headers)`` returning
        a :class:`glance_lite.common.http.Response`; default an
        :class:`~glance_lite.common.http.HTTPPool` to ``registry_host:registry_port``.
    """

    def __init__(self, conf, transport=None):
        if transport is None:
            transport = _pool_from_conf(conf)
        self.transport = transport
        self.use_user_token = conf.use_user_token
        self.send_identity_headers = conf.send_identity_headers
        # A key AES cannot use stops the service at start-up (ValueError).
        self.cipher = crypt.LocationCipher(conf.metadata_encryption_key)

    def for_context(self, ctx):
        """A client whose calls carry the identity of ``ctx`` (a RequestContext)."""
        return BoundRegistryClient(self.transport, self.identity_headers(ctx),
                                   self.cipher)

    def identity_headers(self, ctx):
        """The headers that tell the registry who is calling (registry.md §4)."""
        headers = {}
        if ctx.request_id:
            headers['X-Openstack-Request-ID'] = ctx.request_id
        if self.use_user_token and ctx.auth_token:
            headers['X-Auth-Token'] = ctx.auth_token
        if self.send_identity_headers:
            headers['X-Identity-Status'] = 'Confirmed'
            headers['X-Roles'] = ','.join(ctx.roles or [])
            headers['X-Service-Catalog'] = json.dumps(ctx.service_catalog or [])
            if ctx.user_id:
                headers['X-User-Id'] = ctx.user_id
            if ctx.project_id:
                headers['X-Tenant-Id'] = ctx.project_id
        return headers

    def close(self):
        self.transport.close()


def _pool_from_conf(conf):
    ssl_context = None
    if conf.registry_client_protocol == 'https':
        ssl_context = http.make_ssl_context(
            ca_file=conf.registry_client_ca_file, cert_file=conf.registry_client_cert_file,
            key_file=conf.registry_client_key_file, insecure=conf.registry_client_insecure)
    return http.HTTPPool(conf.registry_host, conf.registry_port,
                         scheme=conf.registry_client_protocol,
                         timeout=conf.registry_client_timeout, ssl_context=ssl_context)


def _quote(segment):
    return urllib.parse.quote(str(segment), safe='')


class BoundRegistryClient:
    """Registry calls on behalf of one caller; one HTTP round trip per method."""

    def __init__(self, transport, identity_headers, cipher=None):
        self._transport = transport
        self._identity = identity_headers
        self._cipher = cipher or crypt.LocationCipher(None)

    # Images

    def get_images(self, params=None):
        """Brief list: ``[{id, name, size, disk_format, container_format, checksum}]``.

        :param params: the raw v1 list query parameters (filters, ``property-<k>``,
            ``limit``, ``marker``, ``sort_key``, ``sort_dir``, ``is_public``,
            ``deleted``, ``changes-since``); None values are dropped.  The registry
            validates them (bad ones raise ``exception.Invalid``).
        """
        return self._call('GET', '/images', query=params)['images']

    def get_images_detailed(self, params=None):
        """Full image records, same parameters as :meth:`get_images`."""
        return self._call('GET', '/images/detail', query=params)['images']

    def query_images(self, query):
        """v2 list: full image records for ``query``, the ``image_get_all`` arguments
        (``filters``, ``marker``, ``limit``, ``sort_key``, ``sort_dir``,
        ``member_status``) as JSON values."""
        return self._call('POST', '/images/query', body=query)['images']

    def get_storage_usage(self, owner, image_id=None):
        """Bytes stored for ``owner``, leaving out ``image_id``."""
        return self._call('GET', '/storage-usage/%s' % _quote(owner),
                          query={'image_id': image_id})['usage']

    def get_image(self, image_id):
        """One image record; ``exception.NotFound`` when missing or not visible."""
        return self._call('GET', '/images/%s' % _quote(image_id))['image']

    def add_image(self, image_meta):
        """Create an image record from ``image_meta`` (wire fields); returns it."""
        return self._call('POST', '/images', body={'image': image_meta})['image']

    def update_image(self, image_id, image_meta, purge_props=False, from_state=None):
        """Update an image record and return it.

        :param purge_props: the stored properties become exactly ``properties``.
        :param from_state: apply only if the image is in this status, else
            ``exception.Conflict``.
        """
        body = {'image': image_meta, 'from_state': from_state}
        headers = {'X-Glance-Registry-Purge-Props': 'true' if purge_props else 'false'}
        return self._call('PUT', '/images/%s' % _quote(image_id), body=body,
                          headers=headers)['image']

    def delete_image(self, image_id):
        """Soft-delete an image record; returns the deleted record."""
        return self._call('DELETE', '/images/%s' % _quote(image_id))['image']

    # Members

    def get_image_members(self, image_id):
        """``[{member_id, image_id, can_share, status, created_at, updated_at}]``."""
        return self._call('GET', '/images/%s/members' % _quote(image_id))['members']

    def get_member_images(self, member_id):
        """``[{image_id, can_share}]``: the images shared with ``member_id``."""
        return self._call('GET', '/shared-images/%s' % _quote(member_id))['shared_images']

    def replace_members(self, image_id, memberships):
        """Make ``memberships`` (``[{member_id, can_share?}]``) the image's members."""
        self._call('PUT', '/images/%s/members' % _quote(image_id),
                   body={'memberships': memberships})

    def add_member(self, image_id, member_id, can_share=None):
        """Add a member, or change ``can_share`` of an existing one when given."""
        body = None if can_share is None else {'member': {'can_share': can_share}}
        self._call('PUT', '/images/%s/members/%s' % (_quote(image_id), _quote(member_id)),
                   body=body)

    def set_member_status(self, image_id, member_id, status):
        """Set a membership's status (only the member itself or an admin may)."""
        self._call('PUT', '/images/%s/members/%s' % (_quote(image_id), _quote(member_id)),
                   body={'member': {'status': status}})

    def delete_member(self, image_id, member_id):
        """Remove a member; ``exception.NotFound`` when it is not one."""
        self._call('DELETE',
                   '/images/%s/members/%s' % (_quote(image_id), _quote(member_id)))

    # One round trip

    def _call(self, method, path, query=None, body=None, headers=None):
        if query:
            items = [(k, _query_value(v)) for k, v in query.items() if v is not None]
            if items:
                path += '?' + urllib.parse.urlencode(items)
        all_headers = dict(self._identity)
        all_headers['Accept'] = 'application/json'
        data = None
        if body is not None:
            data = json.dumps(_sealed(self._cipher, body)).encode('utf-8')
            all_headers['Content-Type'] = 'application/json'
        if headers:
            all_headers.update(headers)
        resp = self._transport.request(method, path, body=data, headers=all_headers)
        if resp.status not in _OK:
            message = error_message(resp)
            LOG.debug('Registry answered %s %s with %d: %s', method, path, resp.status,
                      message)
            raise exception.from_status(resp.status, message)
        if not resp.body:
            return None
        try:
            doc = json.loads(resp.body)
        except ValueError:
            raise exception.UnexpectedStatus(
                'The image registry sent a response that is not JSON (%s %s)'
                % (method, path.split('?')[0]), status=resp.status)
        return _opened(self._cipher, doc)


def _sealed(cipher, body):
    """``body`` with the location URLs of its ``image`` encrypted (a copy)."""
    image = body.get('image') if isinstance(body, dict) else None
    if cipher.key is None or not isinstance(image, dict):
        return body
    # Each URL is encrypted once: the registry matches ``location`` with the
    # ``location_data`` entry of the same URL, so equal URLs need equal ciphertexts.
    sealed = {}

    def seal(url):
        if not isinstance(url, str):
            return url
        if url not in sealed:
            sealed[url] = cipher.encrypt(url)
        return sealed[url]

    image = dict(image)
    if 'location' in image:
        image['location'] = seal(image['location'])
    if isinstance(image.get('location_data'), list):
        image['location_data'] = [dict(loc, url=seal(loc.get('url')))
                                  if isinstance(loc, dict) else loc
                                  for loc in image['location_data']]
    return dict(body, image=image)


def _opened(cipher, doc):
    """``doc`` with the location URLs of its ``image``/``images`` decrypted.

    :raises LocationDecryptionFailed: a URL cannot be read with this service's key.
    """
    if isinstance(doc, dict):
        records = doc.get('images') if isinstance(doc.get('images'), list) else []
        if isinstance(doc.get('image'), dict):
            records = records + [doc['image']]
        for image in records:
            if isinstance(image, dict):
                _open_image(cipher, image)
    return doc


def _open_image(cipher, image):
    opened = {}

    def open_url(stored):
        if stored not in opened:
            opened[stored] = cipher.decrypt(stored, image.get('id'))
        return opened[stored]

    if image.get('location') is not None:
        image['location'] = open_url(image['location'])
    for loc in image.get('location_data') or []:
        if isinstance(loc, dict) and loc.get('url') is not None:
            loc['url'] = open_url(loc['url'])


def _query_value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def error_message(resp):
    """The explanation text of a registry error response, without webob's page dressing.

    The client asks for JSON errors, whose ``message`` is the explanation followed by
    ``<br /><br />`` and the (empty) detail; plain-text and HTML errors are reduced to
    their explanation lines as well.
    """
    text = resp.body.decode('utf-8', 'replace')
    content_type = resp.headers.get('content-type', '')
    if 'json' in content_type:
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get('message'), str):
            # Explanation text is not escaped in JSON errors: keep it verbatim.
            return doc['message'].split('<br />')[0].strip() or resp.reason
    elif 'html' in content_type:
        body = re.search(r'<body>(.*)</body>', text, re.S)
        text = (body.group(1) if body else text).replace('<br />', '\n')
        text = html.unescape(_HTML_TAG.sub('', text))
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    # Plain-text and HTML pages start with the status line; drop it.
    if len(lines) > 1 and lines[0].startswith('%d ' % resp.status):
        lines = lines[1:]
    return ' '.join(lines) or resp.reason
