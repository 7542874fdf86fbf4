"""The pooled HTTP client against a tiny real HTTP/1.1 server on 127.0.0.1:0."""
import json
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest
import webob
import webob.dec

from glance_lite.common import exception, http


class TinyServer:
    """A keep-alive HTTP/1.1 server whose answers a test scripts.

    ``behaviour(conn_no, req_no, method, path, headers, body)`` returns
    ``(status, headers, body)`` to answer, ``'close'`` to close the connection without
    answering, or ``'hang'`` to never answer (until the server stops).
    """

    def __init__(self, behaviour, tls_context=None):
        self.behaviour = behaviour
        self.tls_context = tls_context
        self.connections = 0
        self.requests = []
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(('127.0.0.1', 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._threads = [threading.Thread(target=self._accept_loop, daemon=True)]
        self._threads[0].start()

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(5)
        self._listener.close()

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            self.connections += 1
            t = threading.Thread(target=self._serve, args=(sock, self.connections),
                                 daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, sock, conn_no):
        sock.settimeout(0.1)
        if self.tls_context is not None:
            sock.settimeout(5)
            try:
                sock = self.tls_context.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                sock.close()
                return
            sock.settimeout(0.1)
        buf = b''
        req_no = 0
        try:
            while not self._stop.is_set():
                while b'\r\n\r\n' not in buf:
                    chunk = self._recv(sock)
                    if chunk is None:
                        continue
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b'\r\n\r\n', 1)
                lines = head.decode('latin-1').split('\r\n')
                method, path, _ = lines[0].split(' ', 2)
                headers = {k.strip().lower(): v.strip()
                           for k, v in (line.split(':', 1) for line in lines[1:])}
                length = int(headers.get('content-length', 0))
                while len(buf) < length:
                    chunk = self._recv(sock)
                    if chunk == b'':
                        return
                    buf += chunk or b''
                body, buf = buf[:length], buf[length:]
                req_no += 1
                self.requests.append((conn_no, method, path, headers, body))
                answer = self.behaviour(conn_no, req_no, method, path, headers, body)
                if answer == 'close':
                    return
                if answer == 'hang':
                    self._stop.wait()
                    return
                status, resp_headers, resp_body = answer
                out = ['HTTP/1.1 %s' % status, 'Content-Length: %d' % len(resp_body)]
                out += ['%s: %s' % kv for kv in resp_headers.items()]
                sock.sendall(('\r\n'.join(out) + '\r\n\r\n').encode('latin-1') + resp_body)
        finally:
            sock.close()

    def _recv(self, sock):
        try:
            return sock.recv(65536)
        except socket.timeout:
            return None if not self._stop.is_set() else b''


def echo(conn_no, req_no, method, path, headers, body):
    doc = {'method': method, 'path': path, 'body': body.decode(), 'conn': conn_no,
           'x-test': headers.get('x-test')}
    return '200 OK', {'Content-Type': 'application/json'}, json.dumps(doc).encode()


@pytest.fixture
def serve():
    servers = []

    def start(behaviour=echo, tls_context=None):
        server = TinyServer(behaviour, tls_context)
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()


def test_request_round_trip_returns_status_headers_and_body(serve):
    server = serve()
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=5)

    resp = pool.request('POST', '/images?x=1', body=b'{"a": 1}',
                        headers={'X-Test': 'yes', 'Content-Type': 'application/json'})

    assert resp.status == 200
    assert resp.reason == 'OK'
    assert resp.headers['content-type'] == 'application/json'
    doc = json.loads(resp.body)
    assert doc == {'method': 'POST', 'path': '/images?x=1', 'body': '{"a": 1}',
                   'conn': 1, 'x-test': 'yes'}


def test_error_statuses_are_returned_not_raised(serve):
    server = serve(lambda *a: ('404 Not Found', {}, b'nope'))
    resp = http.HTTPPool('127.0.0.1', server.port).request('GET', '/images/x')
    assert (resp.status, resp.body) == (404, b'nope')


def test_keep_alive_reuses_one_connection(serve):
    server = serve()
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=5)

    conns = [json.loads(pool.request('GET', '/%d' % i).body)['conn'] for i in range(5)]

    assert conns == [1] * 5
    assert server.connections == 1


def test_pooled_socket_has_nagle_disabled(serve):
    server = serve()
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=5)
    pool.request('GET', '/')
    (conn,) = pool._idle
    assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_headers_and_body_leave_in_one_write(serve):
    server = serve()
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=5)
    pool.request('GET', '/')
    (conn,) = pool._idle
    writes = []
    real_send = conn.send
    conn.send = lambda data: (writes.append(data), real_send(data))

    resp = pool.request('PUT', '/images/1', body=b'{"image": {}}',
                        headers={'Content-Type': 'application/json'})

    assert json.loads(resp.body)['body'] == '{"image": {}}'
    assert len(writes) == 1
    assert writes[0].startswith(b'PUT /images/1 HTTP/1.1\r\n')
    assert writes[0].endswith(b'\r\n\r\n{"image": {}}')


def test_concurrent_requests_use_separate_connections_then_pool_them(serve):
    gate = threading.Barrier(3, timeout=5)

    def behaviour(conn_no, req_no, *rest):
        if req_no == 1:
            gate.wait()  # three requests in flight at once
        return echo(conn_no, req_no, *rest)
    server = serve(behaviour)
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=5)
    results = []
    threads = [threading.Thread(target=lambda: results.append(pool.request('GET', '/')))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)

    assert [r.status for r in results] == [200, 200, 200]
    assert server.connections == 3
    assert len(pool._idle) == 3
    for _ in range(6):
        assert pool.request('GET', '/').status == 200
    assert server.connections == 3


def test_peer_closing_a_reused_connection_is_retried_once_transparently(serve):
    # The second request on a kept-alive connection finds the peer closing it: the
    # client must resend on a fresh connection and return the real answer.
    def behaviour(conn_no, req_no, *rest):
        if conn_no == 1 and req_no == 2:
            return 'close'
        return echo(conn_no, req_no, *rest)
    server = serve(behaviour)
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=5)

    first = json.loads(pool.request('GET', '/a').body)
    second = json.loads(pool.request('PUT', '/b', body=b'x').body)

    assert (first['conn'], second['conn']) == (1, 2)
    assert second['body'] == 'x'
    assert [(c, m, p) for c, m, p, _, _ in server.requests] == [
        (1, 'GET', '/a'), (1, 'PUT', '/b'), (2, 'PUT', '/b')]


def test_idle_connection_closed_by_peer_is_not_used(serve):
    def behaviour(conn_no, req_no, *rest):
        status, headers, body = echo(conn_no, req_no, *rest)
        return status, headers, body
    server = serve(behaviour)
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=5)
    pool.request('GET', '/a')
    server.stop()  # closes the kept-alive connection from the server side
    (conn,) = pool._idle
    deadline = time.monotonic() + 5
    while not http._connection_is_dropped(conn):
        assert time.monotonic() < deadline, 'server never closed the connection'
        time.sleep(0.01)

    server2 = serve()
    pool2 = http.HTTPPool('127.0.0.1', server2.port, timeout=5)
    pool2._idle.append(conn)  # a dead connection waiting in the pool
    assert pool2.request('GET', '/b').status == 200
    assert server2.connections == 1


def test_peer_closing_a_fresh_connection_is_an_error_not_a_retry(serve):
    server = serve(lambda *a: 'close')
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=5)

    with pytest.raises(exception.RegistryUnavailable) as err:
        pool.request('GET', '/images')

    assert 'Connection to the image registry at 127.0.0.1:%d failed' % server.port \
        in str(err.value)
    assert len(server.requests) == 1


def test_a_second_close_after_the_retry_is_an_error(serve):
    def behaviour(conn_no, req_no, *rest):
        if conn_no == 1 and req_no == 1:
            return echo(conn_no, req_no, *rest)
        return 'close'
    server = serve(behaviour)
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=5)
    pool.request('GET', '/a')

    with pytest.raises(exception.RegistryUnavailable):
        pool.request('GET', '/b')
    assert len(server.requests) == 3  # /a, /b on the stale connection, /b once more


def _refused_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()  # bound once, never listening: connections are refused
    return port


def test_refused_connection_fails_fast_with_a_clear_reason():
    port = _refused_port()
    pool = http.HTTPPool('127.0.0.1', port, timeout=30)

    started = time.monotonic()
    with pytest.raises(exception.RegistryUnavailable) as err:
        pool.request('GET', '/images')

    assert time.monotonic() - started < 2
    assert str(err.value).startswith(
        'Connection to the image registry at 127.0.0.1:%d failed: ' % port)
    assert 'refused' in str(err.value).lower()
    assert err.value.http_status == 503


def test_peer_that_does_not_answer_times_out(serve):
    server = serve(lambda *a: 'hang')
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=0.3)

    started = time.monotonic()
    with pytest.raises(exception.RegistryUnavailable) as err:
        pool.request('GET', '/images')

    assert 0.25 < time.monotonic() - started < 3
    assert 'no answer within 0.3 seconds' in str(err.value)
    assert not pool._idle  # the timed-out connection is never reused


def test_per_request_timeout_overrides_the_pool_and_zero_means_none(serve):
    server = serve()
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=0)
    pool.request('GET', '/')
    (conn,) = pool._idle
    assert conn.sock.gettimeout() is None

    pool.request('GET', '/', timeout=7)
    (conn,) = pool._idle
    assert conn.sock.gettimeout() == 7


def test_custom_peer_name_and_error_class():
    port = _refused_port()
    pool = http.HTTPPool('127.0.0.1', port, peer_name='image API',
                         error_cls=exception.RemoteServiceUnavailable)
    with pytest.raises(exception.RemoteServiceUnavailable) as err:
        pool.request('GET', '/')
    assert 'Connection to the image API at 127.0.0.1:%d failed' % port in str(err.value)


def test_connections_inherited_across_fork_are_not_reused(serve):
    server = serve()
    pool = http.HTTPPool('127.0.0.1', server.port, timeout=5)
    pool.request('GET', '/')
    pool._pid = -1  # as seen from a forked child
    assert json.loads(pool.request('GET', '/').body)['conn'] == 2


@pytest.fixture(scope='module')
def certificate(tmp_path_factory):
    d = tmp_path_factory.mktemp('tls')
    key, cert = str(d / 'key.pem'), str(d / 'cert.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
                    '-keyout', key, '-out', cert], check=True, capture_output=True)
    return key, cert


def _server_tls(certificate):
    key, cert = certificate
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def test_https_verifies_the_peer_against_the_ca_file(serve, certificate):
    server = serve(tls_context=_server_tls(certificate))
    ctx = http.make_ssl_context(ca_file=certificate[1])
    pool = http.HTTPPool('127.0.0.1', server.port, scheme='https', timeout=5,
                         ssl_context=ctx)
    assert pool.request('GET', '/').status == 200
    assert pool.request('GET', '/').status == 200
    assert server.connections == 1


def test_https_refuses_an_unknown_certificate_unless_insecure(serve, certificate):
    server = serve(tls_context=_server_tls(certificate))
    pool = http.HTTPPool('127.0.0.1', server.port, scheme='https', timeout=5)
    with pytest.raises(exception.RegistryUnavailable) as err:
        pool.request('GET', '/')
    assert 'CERTIFICATE_VERIFY_FAILED' in str(err.value)

    insecure = http.HTTPPool('127.0.0.1', server.port, scheme='https', timeout=5,
                             ssl_context=http.make_ssl_context(insecure=True))
    assert insecure.request('GET', '/').status == 200


def test_wsgi_transport_has_the_pool_interface():
    @webob.dec.wsgify
    def app(req):
        resp = webob.Response(status=201, content_type='application/json')
        resp.body = json.dumps({'path': req.path_qs, 'method': req.method,
                                'body': req.body.decode(),
                                'x-test': req.headers.get('X-Test')}).encode()
        return resp

    resp = http.WSGITransport(app).request('PUT', '/images/1?a=b', body=b'hi',
                                           headers={'X-Test': 'v'})

    assert (resp.status, resp.reason) == (201, 'Created')
    assert resp.headers['content-type'] == 'application/json'
    assert json.loads(resp.body) == {'path': '/images/1?a=b', 'method': 'PUT',
                                     'body': 'hi', 'x-test': 'v'}


def test_unsupported_scheme_is_refused():
    with pytest.raises(ValueError):
        http.HTTPPool('127.0.0.1', 1, scheme='ftp')


_GREEN_CLIENT = """
import eventlet
eventlet.monkey_patch()
import json, sys
from glance_lite.common import http
pool = http.HTTPPool('127.0.0.1', int(sys.argv[1]), timeout=10)
green = eventlet.GreenPool()
conns = list(green.imap(lambda i: json.loads(pool.request('GET', '/%d' % i).body)['conn'],
                        range(2)))
again = json.loads(pool.request('GET', '/again').body)['conn']
print(json.dumps({'conns': sorted(conns), 'again': again}))
"""


def test_works_under_eventlet_monkey_patching(serve):
    # Both green threads must be in flight at once for the server to answer either:
    # a client that blocked the hub would deadlock here (and time out).
    gate = threading.Barrier(2, timeout=10)

    def behaviour(conn_no, req_no, *rest):
        if req_no == 1:
            gate.wait()
        return echo(conn_no, req_no, *rest)
    server = serve(behaviour)

    out = subprocess.run([sys.executable, '-c', _GREEN_CLIENT, str(server.port)],
                         capture_output=True, text=True, timeout=60)

    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result['conns'] == [1, 2]
    assert result['again'] in (1, 2)  # pooled, no third connection
    assert server.connections == 2
