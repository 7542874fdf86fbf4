"""One Glance API server as the replicator reaches it.

Metadata calls (lists, HEAD, JSON bodies) go through a keep-alive
:class:`~glance_lite.common.http.HTTPPool`.  Image data never does: the pool reads whole
bodies, so downloads and uploads each get a connection of their own and move the bytes
chunk by chunk (:meth:`Endpoint.download`, :meth:`Endpoint.upload`).
"""
import http.client
import json
import logging
import socket
import urllib.parse

from glance_lite.common import exception
from glance_lite.common import http as pooled_http
from glance_lite.registry import client as registry_client
from glance_lite.replicator import transfer

LOG = logging.getLogger(__name__)

# Seconds one socket operation may take; a transfer may last longer in total.
TIMEOUT = 60


class ReplicatorError(Exception):
    """A failure that ends the command (exit status 1)."""


class ServerUnreachable(exception.ServiceUnavailable):
    """The server cannot be connected to, or stopped answering."""

    message = 'The server is unreachable.'


class RequestFailed(Exception):
    """A server answered one request with an error status.

    :ivar status: the HTTP status (int).
    :ivar reason: the server's explanation text.
    """

    def __init__(self, endpoint, method, path, status, reason):
        self.status = status
        self.reason = reason
        super().__init__('%s %s on %s answered %d: %s'
                         % (method, path.split('?')[0], endpoint, status, reason))


class AuthenticationFailed(RequestFailed, ReplicatorError):
    """401: every later request would fail the same way, so the command stops."""

    def __init__(self, endpoint, method, path, status, reason):
        super().__init__(endpoint, method, path, status, reason)
        self.args = ('Authentication failed at %s (%d: %s): pass a valid token with -t, '
                     'or --sourcetoken/--targettoken' % (endpoint, status, reason),)


def parse_address(address):
    """``(scheme, host, port)`` of ``host:port``, ``[v6addr]:port`` or ``http[s]://host[:port]``.

    :raises ValueError: with a message naming the accepted forms.
    """
    text = address.strip()
    if '://' not in text:
        text = 'http://' + text
        port_required = True
    else:
        port_required = False
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (parts is None or parts.scheme not in ('http', 'https') or not parts.hostname
            or parts.path not in ('', '/') or parts.query or (port_required and not port)):
        raise ValueError('Bad server address %r: use host:port or http(s)://host[:port]'
                         % address)
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == 'https' else 80)


class Download:
    """A streamed response body: iterate :meth:`chunks`, then :meth:`close`."""

    def __init__(self, endpoint, conn, response):
        self._endpoint = endpoint
        self._conn = conn
        self._response = response
        self.status = response.status

    def chunks(self, chunk_size):
        """The body in pieces of at most ``chunk_size`` bytes.

        :raises TransferFailed: the connection broke, or ended early, mid-body: this
            image failed; whether the server is gone the next request will tell.
        """
        while True:
            try:
                chunk = self._response.read(chunk_size)
            except (OSError, http.client.HTTPException) as e:
                raise transfer.TransferFailed('Downloading from %s broke off: %s'
                                              % (self._endpoint, _reason(e)))
            if not chunk:
                return
            yield chunk

    def close(self):
        self._conn.close()


class Endpoint:
    """A Glance API server: address, token and the requests the replicator makes.

    :param address: as accepted by :func:`parse_address`.
    :param token: sent as ``X-Auth-Token`` when not empty.
    :param role: ``source`` or ``target``, for messages.
    """

    def __init__(self, address, token='', role='server'):
        self.scheme, self.host, self.port = parse_address(address)
        self.token = token
        self.name = 'the %s server %s' % (role, address)
        self._pool = pooled_http.HTTPPool(
            self.host, self.port, scheme=self.scheme, timeout=TIMEOUT,
            peer_name='%s server' % role, error_cls=ServerUnreachable)

    def __str__(self):
        return self.name

    # -- metadata -----------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, ok=(200,)):
        """One metadata exchange; :returns: the complete ``http.Response``.

        :raises RequestFailed: the status is not in ``ok``.
        :raises ServerUnreachable: no answer.
        """
        resp = self._pool.request(method, path, body=body, headers=self._headers(headers))
        if resp.status not in ok:
            raise self._failure(method, path, resp)
        return resp

    def json(self, method, path, body=None, headers=None, ok=(200,)):
        """:meth:`request` with an optional JSON body; :returns: the decoded answer."""
        headers = dict(headers or {})
        headers.setdefault('Accept', 'application/json')
        data = None
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            headers.setdefault('Content-Type', 'application/json')
        resp = self.request(method, path, body=data, headers=headers, ok=ok)
        return decode_json(self, method, path, resp)

    # -- image data -----------------------------------------------------------------

    def download(self, path):
        """``GET path`` with the body left on the wire.

        :returns: a :class:`Download` (status 200, or 204 when there is no data).
        """
        conn = self._connect()
        try:
            conn.putrequest('GET', path, skip_accept_encoding=True)
            for name, value in self._headers({}).items():
                conn.putheader(name, value)
            conn.endheaders()
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise self._unreachable(e)
        if response.status not in (200, 204):
            failure = self._failure('GET', path, _complete(response))
            conn.close()
            raise failure
        return Download(self, conn, response)

    def upload(self, method, path, headers, chunks, ok):
        """Send ``chunks`` as the body of one request; :returns: the ``http.Response``.

        ``headers`` must carry the ``Content-Length``.  When ``chunks`` raises, the
        connection is dropped before the body is complete, so the server never takes
        the partial body for the image: the exception propagates.

        :raises ServerUnreachable: no connection could be made.
        :raises TransferFailed: the connection broke off, or no answer came.
        """
        conn = self._connect()
        send_error = None
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in self._headers(headers).items():
                conn.putheader(name, value)
            conn.endheaders()
            send_error = _send_all(conn, chunks)
            response = _complete(conn.getresponse())
        except (OSError, http.client.HTTPException) as e:
            # Without an answer, why sending stopped (if it did) says the most.
            raise transfer.TransferFailed('%s %s on %s broke off: %s'
                                          % (method, path, self, _reason(send_error or e)))
        finally:
            conn.close()
        if response.status not in ok:
            raise self._failure(method, path, response)
        return response

    # -- helpers ------------------------------------------------------------------

    def _headers(self, headers):
        merged = dict(headers or {})
        if self.token:
            merged['X-Auth-Token'] = self.token
        return merged

    def _connect(self):
        if self.scheme == 'https':
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=TIMEOUT,
                                               context=pooled_http.make_ssl_context())
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            conn.connect()
        except OSError as e:
            conn.close()
            raise self._unreachable(e)
        return conn

    def _unreachable(self, error):
        return ServerUnreachable('Connection to %s failed: %s' % (self.name, _reason(error)))

    def _failure(self, method, path, resp):
        cls = AuthenticationFailed if resp.status == 401 else RequestFailed
        failure = cls(self.name, method, path, resp.status,
                      registry_client.error_message(resp))
        LOG.debug('%s', failure)
        return failure


def _reason(error):
    if isinstance(error, socket.timeout):
        return 'no answer within %d seconds' % TIMEOUT
    return str(error) or error.__class__.__name__


def _send_all(conn, chunks):
    """Send every chunk; :returns: the OSError that stopped it early, else None.

    A server that refuses the request may answer and close before reading the whole
    body; its answer is then more useful than the broken pipe.
    """
    for chunk in chunks:
        try:
            conn.send(chunk)
        except OSError as e:
            return e
    return None


def _complete(response):
    """An ``http.Response`` from a streamed ``http.client`` response (read to the end)."""
    body = response.read()
    headers = {name.lower(): value for name, value in response.getheaders()}
    return pooled_http.Response(response.status, response.reason, headers, body)


def decode_json(endpoint, method, path, resp):
    if not resp.body:
        return None
    try:
        return json.loads(resp.body)
    except ValueError:
        raise RequestFailed(endpoint.name, method, path, resp.status,
                            'the answer is not JSON')
