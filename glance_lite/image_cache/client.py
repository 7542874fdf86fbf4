"""A client of the cache management API of one glance-api (glance-cache-manage)."""
import json
import urllib.parse

from glance_lite.common import exception, http
from glance_lite.registry import client as registry_client

DEFAULT_TIMEOUT = 60


class CacheManageClient:
    """One method per call of the API (spec cache-and-scrubber.md §3).

    Uses ``/v2`` (Stein); an api that does not serve v2 answers 300, and the client
    then uses ``/v1`` (Queens).

    :param host: address, optionally prefixed ``http://`` or ``https://``.
    :raises: on errors, the exception of the HTTP status (``exception.from_status``),
        ``ServiceUnavailable`` when the api cannot be reached.
    """

    def __init__(self, host, port, auth_token=None, insecure=False,
                 timeout=DEFAULT_TIMEOUT):
        scheme = 'http'
        for prefix in ('http://', 'https://'):
            if host.startswith(prefix):
                scheme, host = prefix[:-3], host[len(prefix):]
        if port == 443:
            scheme = 'https'
        ssl_context = http.make_ssl_context(insecure=insecure) if scheme == 'https' else None
        self._transport = http.HTTPPool(host.rstrip('/'), port, scheme=scheme,
                                        timeout=timeout, ssl_context=ssl_context,
                                        peer_name='glance-api',
                                        error_cls=exception.ServiceUnavailable)
        self._headers = {'Accept': 'application/json'}
        if auth_token:
            self._headers['X-Auth-Token'] = auth_token
        self._prefix = '/v2'

    def _call(self, method, path):
        resp = self._transport.request(method, self._prefix + path, headers=self._headers)
        if resp.status == 300 and self._prefix == '/v2':
            self._prefix = '/v1'
            return self._call(method, path)
        if not 200 <= resp.status < 300:
            raise exception.from_status(resp.status, registry_client.error_message(resp))
        return json.loads(resp.body) if resp.body else None

    def get_cached_images(self):
        return self._call('GET', '/cached_images')['cached_images']

    def get_queued_images(self):
        return self._call('GET', '/queued_images')['queued_images']

    def delete_cached_image(self, image_id):
        self._call('DELETE', '/cached_images/%s' % _quote(image_id))

    def delete_all_cached_images(self):
        return self._call('DELETE', '/cached_images')['num_deleted']

    def queue_image(self, image_id):
        self._call('PUT', '/queued_images/%s' % _quote(image_id))

    def delete_queued_image(self, image_id):
        self._call('DELETE', '/queued_images/%s' % _quote(image_id))

    def delete_all_queued_images(self):
        return self._call('DELETE', '/queued_images')['num_deleted']


def _quote(segment):
    return urllib.parse.quote(segment, safe='')
