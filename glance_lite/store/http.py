"""The http store: read-only access to image data behind http(s) URLs.

Every request (the GET or HEAD and each redirect it follows) goes through the host
filter first, and the connection is made to the addresses the filter checked, not
to a second lookup of the name.
"""
import base64
import http.client
import logging
import socket
import ssl
import urllib.parse

from glance_lite.common import exception
from glance_lite.store import base
from glance_lite.store import host_filter
from glance_lite.store.location import redact_uri as _redacted

LOG = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECT_STATUSES = (301, 302)
READ_CHUNK_SIZE = 64 * 1024
# Seconds to connect or to wait for any data; a stalled remote must not hold a
# download (or an API worker) forever.
TIMEOUT = 60

# What a failing connection raises: socket errors (incl. DNS, timeouts, TLS)
# and malformed HTTP.
_CONNECTION_ERRORS = (OSError, http.client.HTTPException)


class HttpStore(base.Store):
    """``http://`` and ``https://`` locations, optionally with ``user:password@``
    (sent as basic authentication, never logged)."""

    name = 'http'
    schemes = ('http', 'https')
    capabilities = base.Capability.READ

    def __init__(self, conf):
        super().__init__(conf)
        opts = conf.glance_store
        self.host_filter = host_filter.HostFilter.from_conf(conf)
        self._ssl_context = _ssl_context(opts.https_insecure, opts.https_ca_certificates_file)
        self._proxies = _proxies(opts.http_proxy_information)

    def validate_location(self, uri):
        """Apply the host filter, resolving the host name.

        :raises ForbiddenLocation: refused by the filter.
        :raises BadStoreUri: malformed, or the host name does not resolve.
        """
        super().validate_location(uri)
        target = self.host_filter.check(uri)
        try:
            self.host_filter.addresses(target)
        except OSError as e:
            raise exception.BadStoreUri('Cannot resolve the host of %s: %s'
                                        % (target.redacted, e)) from e

    def _get(self, uri, offset, length):
        try:
            conn, resp, target = self._open('GET', uri)
        except _CONNECTION_ERRORS as e:
            LOG.warning('Cannot reach %s: %s', _redacted(uri), e)
            raise exception.RemoteServiceUnavailable() from e
        return _ResponseChunks(conn, resp, target.redacted), _content_length(resp)

    def _get_size(self, uri):
        try:
            conn, resp, _ = self._open('HEAD', uri)
        except _CONNECTION_ERRORS as e:
            LOG.warning('Cannot reach %s: %s', _redacted(uri), e)
            raise exception.BadStoreUri('Cannot reach %s: %s' % (_redacted(uri), e)) from e
        conn.close()
        return _content_length(resp)

    def _open(self, method, url):
        """Send ``method`` to ``url``, following up to MAX_REDIRECTS 301/302.

        :returns: ``(connection, response, target)`` for a 2xx answer.
        :raises NotFound: 404.
        :raises BadStoreUri: another status >= 300, or a refused/malformed URL.
        :raises MaxRedirectsExceeded: more than MAX_REDIRECTS redirects.
        :raises OSError, http.client.HTTPException: connection failure.
        """
        for _ in range(MAX_REDIRECTS + 1):
            target = self.host_filter.check(url)
            addresses = self.host_filter.addresses(target)
            conn = self._connection(target, addresses)
            try:
                conn.request(method, self._request_target(target),
                             headers=self._headers(target))
                resp = conn.getresponse()
            except BaseException:
                conn.close()
                raise
            if 200 <= resp.status < 300:
                return conn, resp, target
            conn.close()
            if resp.status in REDIRECT_STATUSES:
                where = resp.getheader('Location')
                if not where:
                    raise exception.BadStoreUri(
                        'HTTP URL %s redirected without a Location.' % target.redacted)
                # Credentials of the original URL follow a relative redirect only.
                url = urllib.parse.urljoin(url, where.strip())
                LOG.debug('%s redirects to %s', target.redacted, _redacted(url))
                continue
            if resp.status == 404:
                raise exception.NotFound('Image not found at %s' % target.redacted)
            raise exception.BadStoreUri('HTTP URL %s returned a %s status code.'
                                        % (target.redacted, resp.status))
        raise exception.MaxRedirectsExceeded(redirects=MAX_REDIRECTS)

    def _connection(self, target, addresses):
        proxy = self._proxies.get(target.scheme)
        if target.scheme == 'https':
            if proxy:
                conn = http.client.HTTPSConnection(proxy.host, proxy.port, timeout=TIMEOUT,
                                                   context=self._ssl_context)
                conn.set_tunnel(target.host, target.port, headers=proxy.headers)
                return conn
            conn = http.client.HTTPSConnection(target.host, target.port, timeout=TIMEOUT,
                                               context=self._ssl_context)
        elif proxy:
            return http.client.HTTPConnection(proxy.host, proxy.port, timeout=TIMEOUT)
        else:
            conn = http.client.HTTPConnection(target.host, target.port, timeout=TIMEOUT)
        # http.client opens its socket through this attribute: make it connect to
        # the checked addresses; TLS (SNI, certificate) still uses the host name.
        conn._create_connection = _connector(addresses)
        return conn

    def _request_target(self, target):
        if target.scheme == 'http' and 'http' in self._proxies:
            # A plain-http proxy wants the absolute URL (without credentials).
            netloc = target.host if ':' not in target.host else '[%s]' % target.host
            if target.port != host_filter.DEFAULT_PORTS['http']:
                netloc += ':%d' % target.port
            return 'http://%s%s' % (netloc, target.request_target)
        return target.request_target

    def _headers(self, target):
        headers = {'User-Agent': 'glance_lite-http-store', 'Connection': 'close'}
        if target.username is not None:
            headers['Authorization'] = _basic_auth(target.username, target.password or '')
        proxy = self._proxies.get(target.scheme)
        if proxy and target.scheme == 'http':
            headers.update(proxy.headers)
        return headers


class _ResponseChunks:
    """Iterator over a response body in bounded chunks; closes the connection when
    exhausted or on :meth:`close`.  A broken connection mid-body raises
    ``RemoteServiceUnavailable``."""

    def __init__(self, conn, resp, redacted_url):
        self._conn = conn
        self._resp = resp
        self._url = redacted_url

    def __iter__(self):
        return self

    def __next__(self):
        if self._resp is None:
            raise StopIteration
        try:
            data = self._resp.read(READ_CHUNK_SIZE)
        except _CONNECTION_ERRORS as e:
            self.close()
            LOG.warning('Reading %s failed: %s', self._url, e)
            raise exception.RemoteServiceUnavailable() from e
        if not data:
            # http.client ends quietly when the peer closes before Content-Length.
            missing = self._resp.length
            self.close()
            if missing:
                LOG.warning('%s ended %d bytes early', self._url, missing)
                raise exception.RemoteServiceUnavailable()
            raise StopIteration
        return data

    def close(self):
        if self._resp is not None:
            self._resp.close()
            self._conn.close()
            self._resp = self._conn = None


class _Proxy:
    def __init__(self, host, port, headers):
        self.host = host
        self.port = port
        self.headers = headers


def _connector(addresses):
    """A replacement for ``socket.create_connection`` that ignores the address
    it is given and tries ``addresses`` (``getaddrinfo`` tuples) in order."""
    def create_connection(_address, timeout=None, source_address=None):
        error = None
        for family, socktype, proto, _, sockaddr in addresses:
            sock = socket.socket(family, socktype, proto)
            try:
                sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as e:
                sock.close()
                error = e
        raise error or OSError('no address to connect to')
    return create_connection


def _content_length(resp):
    try:
        return max(int(resp.getheader('Content-Length', 0)), 0)
    except (TypeError, ValueError):
        return 0


def _basic_auth(username, password):
    token = base64.b64encode(('%s:%s' % (username, password)).encode('utf-8'))
    return 'Basic ' + token.decode('ascii')


def _ssl_context(insecure, ca_file):
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as e:
        raise exception.BadStoreConfiguration(
            store_name='http',
            reason='option [glance_store] https_ca_certificates_file: cannot load %s: %s'
                   % (ca_file, e)) from e
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _proxies(information):
    """``http_proxy_information`` ({scheme: "host:port" or URL}) as proxies by scheme."""
    proxies = {}
    for scheme, value in (information or {}).items():
        scheme = scheme.strip().lower()
        text = value.strip()
        if '://' not in text:
            text = 'http://' + text
        try:
            parts = urllib.parse.urlsplit(text)
            port = parts.port or 80
        except ValueError:
            parts = None
        if scheme not in host_filter.DEFAULT_PORTS or parts is None or not parts.hostname:
            raise exception.BadStoreConfiguration(
                store_name='http',
                reason='option [glance_store] http_proxy_information: invalid entry for %r'
                       % scheme)
        headers = {}
        if parts.username:
            headers['Proxy-Authorization'] = _basic_auth(
                urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ''))
        proxies[scheme] = _Proxy(parts.hostname, port, headers)
    return proxies
