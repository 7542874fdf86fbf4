"""A small pooled keep-alive HTTP/1.1 client for one peer (glance-api → glance-registry).

Bodies are whole ``bytes`` (JSON-sized messages; image data never travels here), so a
request is one ``send()`` of headers and body and a response is read completely before
its connection goes back to the pool.  Plain ``http.client`` over plain sockets: under
eventlet monkey patching the sockets are green and nothing here blocks the hub.

:class:`HTTPPool` and :class:`WSGITransport` share one interface,
``request(method, path, body=None, headers=None, timeout=None) -> Response``, so the
registry client can talk to an in-process WSGI app in unit tests.
"""
import collections
import http.client
import logging
import os
import select
import socket
import sys
import ssl

import webob

from glance_lite.common import exception

LOG = logging.getLogger(__name__)

# Idle connections kept per pool; extra ones are closed when released.
DEFAULT_MAX_IDLE = 16

# The peer closed a kept-alive connection before answering: safe to send again once on a
# fresh connection, because the peer never saw (or never acted on) the request.
_STALE_ERRORS = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                 ConnectionAbortedError)


class _StaleConnection(Exception):
    """Internal: the peer closed the connection before answering."""


class Response:
    """A complete HTTP response.

    :ivar status: the status code (int).
    :ivar reason: the reason phrase.
    :ivar headers: dict of header values keyed by lower-cased header name.
    :ivar body: the whole body as bytes.
    """

    __slots__ = ('status', 'reason', 'headers', 'body')

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def __repr__(self):
        return '<Response %d %s, %d bytes>' % (self.status, self.reason, len(self.body))


def _lower_headers(pairs):
    headers = {}
    for name, value in pairs:
        name = name.lower()
        headers[name] = '%s, %s' % (headers[name], value) if name in headers else value
    return headers


def _connection_is_dropped(conn):
    """True when an idle connection's peer has closed it (or sent unsolicited bytes).

    An idle HTTP/1.1 connection must not be readable: readable means EOF or garbage,
    and either way it cannot carry another request.
    """
    sock = conn.sock
    if sock is None:
        return True
    try:
        readable, _, _ = _unpatched_select()([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _unpatched_select():
    """The real ``select.select``: one system call for a zero-timeout check, where
    eventlet's green one goes round the event loop (on every registry request)."""
    patcher = sys.modules.get('eventlet.patcher')
    if patcher is not None and patcher.is_monkey_patched('select'):
        return patcher.original('select').select
    return select.select


class _OneWrite:
    """Headers and a bytes body in one ``send()``.

    http.client sends them as two writes; with small JSON bodies that is two TCP
    segments per request, and the second can wait for the peer's delayed ACK.
    """

    def _send_output(self, message_body=None, encode_chunked=False):
        if not isinstance(message_body, bytes) or encode_chunked:
            return super()._send_output(message_body, encode_chunked)
        self._buffer.extend((b'', b''))
        message = b'\r\n'.join(self._buffer) + message_body
        del self._buffer[:]
        self.send(message)


class _Connection(_OneWrite, http.client.HTTPConnection):
    """HTTP connection with Nagle's algorithm off (small request/response pairs)."""

    def connect(self):
        super().connect()
        _set_nodelay(self.sock)


class _TLSConnection(_OneWrite, http.client.HTTPSConnection):
    def connect(self):
        super().connect()
        _set_nodelay(self.sock)


def _set_nodelay(sock):
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # not TCP (never for our peers); nothing to tune
        pass


def make_ssl_context(ca_file=None, cert_file=None, key_file=None, insecure=False):
    """The client TLS context: verify the peer against ``ca_file`` (or the system CAs)
    unless ``insecure``; present ``cert_file``/``key_file`` when given."""
    ctx = ssl.create_default_context(cafile=ca_file)
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert_file:
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


class HTTPPool:
    """Keep-alive connections to one ``host:port``, reused across requests.

    :param scheme: ``http`` or ``https``.
    :param timeout: seconds one request (connect, send, read) may take; ``0`` or
        ``None`` means no limit.
    :param ssl_context: TLS context for https (see :func:`make_ssl_context`).
    :param peer_name: how error messages name the peer.
    :param error_cls: the ServiceUnavailable subclass raised when the peer cannot be
        reached or stops answering.

    Safe to share between green threads of one process: a connection is used by one
    request at a time.  After a fork, connections inherited from the parent are never
    reused by the child.
    """

    def __init__(self, host, port, scheme='http', timeout=None, ssl_context=None,
                 peer_name='image registry', error_cls=exception.RegistryUnavailable,
                 max_idle=DEFAULT_MAX_IDLE):
        if scheme not in ('http', 'https'):
            raise ValueError('Unsupported scheme %r: use http or https' % scheme)
        self.host = host
        self.port = int(port)
        self.scheme = scheme
        self.timeout = timeout or None
        self.peer_name = peer_name
        self._ssl_context = ssl_context
        if scheme == 'https' and ssl_context is None:
            self._ssl_context = make_ssl_context()
        self._error_cls = error_cls
        self._max_idle = max_idle
        self._idle = collections.deque()
        self._pid = os.getpid()

    def __repr__(self):
        return '<HTTPPool %s://%s:%s>' % (self.scheme, self.host, self.port)

    def request(self, method, path, body=None, headers=None, timeout=None):
        """Send one request and return the complete :class:`Response`.

        :param path: path plus query string, already quoted.
        :param body: bytes or None.
        :param timeout: overrides the pool's timeout for this request (0 = no limit).
        :raises: ``error_cls`` when the peer cannot be reached, drops the connection, or
            does not answer within the timeout.  HTTP error statuses are returned, not
            raised.
        """
        timeout = self.timeout if timeout is None else (timeout or None)
        headers = dict(headers or {})
        conn, reused = self._acquire(timeout)
        try:
            return self._exchange(conn, method, path, body, headers)
        except _StaleConnection as e:
            if not reused:
                raise self._failure(e.__cause__, timeout)
            LOG.debug('Kept-alive connection to %s:%s was closed by the peer (%s); '
                      'retrying on a new connection', self.host, self.port, e.__cause__)
        except (OSError, http.client.HTTPException) as e:
            raise self._failure(e, timeout)
        conn = self._connect(timeout)
        try:
            return self._exchange(conn, method, path, body, headers)
        except _StaleConnection as e:
            raise self._failure(e.__cause__, timeout)
        except (OSError, http.client.HTTPException) as e:
            raise self._failure(e, timeout)

    def close(self):
        """Close every idle connection (busy ones close when their request ends)."""
        while self._idle:
            self._idle.pop().close()

    def _exchange(self, conn, method, path, body, headers):
        """One request/response on ``conn``; :class:`_StaleConnection` when the peer
        closed the connection before sending a single byte of the response."""
        try:
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
            except _STALE_ERRORS as e:
                raise _StaleConnection() from e
            data = resp.read()
        except BaseException:
            conn.close()
            raise
        result = Response(resp.status, resp.reason, _lower_headers(resp.getheaders()), data)
        if resp.will_close:
            conn.close()
        else:
            self._release(conn)
        return result

    def _acquire(self, timeout):
        """An idle live connection (reused=True) or a new one (reused=False)."""
        if os.getpid() != self._pid:
            # Forked: the parent's sockets are shared with it; forget them untouched.
            self._idle.clear()
            self._pid = os.getpid()
        while self._idle:
            conn = self._idle.pop()
            if _connection_is_dropped(conn):
                conn.close()
                continue
            conn.sock.settimeout(timeout)
            conn.timeout = timeout
            return conn, True
        return self._connect(timeout), False

    def _connect(self, timeout):
        if self.scheme == 'https':
            conn = _TLSConnection(self.host, self.port, timeout=timeout,
                                  context=self._ssl_context)
        else:
            conn = _Connection(self.host, self.port, timeout=timeout)
        try:
            conn.connect()
        except OSError as e:
            conn.close()
            raise self._failure(e, timeout)
        return conn

    def _release(self, conn):
        if len(self._idle) < self._max_idle and os.getpid() == self._pid:
            self._idle.append(conn)
        else:
            conn.close()

    def _failure(self, error, timeout):
        if isinstance(error, socket.timeout):
            reason = 'no answer within %s seconds' % timeout
        else:
            reason = str(error) or error.__class__.__name__
        LOG.warning('Connection to the %s at %s:%s failed: %s',
                    self.peer_name, self.host, self.port, reason)
        return self._error_cls('Connection to the %s at %s:%s failed: %s'
                               % (self.peer_name, self.host, self.port, reason))


class WSGITransport:
    """Calls a WSGI app in-process with the :class:`HTTPPool` interface (no sockets).

    For unit tests of clients: the request goes through the app exactly as the server
    would hand it over, minus the network.
    """

    def __init__(self, app):
        self.app = app

    def request(self, method, path, body=None, headers=None, timeout=None):
        req = webob.Request.blank(path, method=method, headers=dict(headers or {}))
        if body is not None:
            req.body = body
        resp = req.get_response(self.app)
        return Response(resp.status_code, resp.status.split(' ', 1)[-1],
                        _lower_headers(resp.headerlist), resp.body)

    def close(self):
        pass
