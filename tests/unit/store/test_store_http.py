"""The http store against a real http.server on 127.0.0.1."""
import base64
import http.server
import os
import socket
import threading
import urllib.parse

import pytest

from glance_lite.common import exception
from glance_lite.store import http as http_store
from store_testlib import Reader, make_conf

DATA = os.urandom(200 * 1024 + 3)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self._answer(body=False)

    def do_GET(self):
        self._answer(body=True)

    def _answer(self, body):
        self.server.requests.append((self.command, self.path,
                                     self.headers.get('Authorization')))
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip('/').split('/')
        if parts[0] == 'image':
            self._send(200, DATA, body)
        elif parts[0] == 'redirect':
            hops = int(parts[1])
            if hops == 0:
                self._send(200, DATA, body)
            else:
                code = 301 if hops % 2 else 302
                self._send(code, b'', body, Location='/redirect/%d' % (hops - 1))
        elif parts[0] == 'redirect-to':
            target = urllib.parse.parse_qs(url.query)['url'][0]
            self._send(302, b'', body, Location=target)
        elif parts[0] == 'status':
            self._send(int(parts[1]), b'nope', body, Location='/image')
        elif parts[0] == 'chunked':
            self.send_response(200)
            self.send_header('Transfer-Encoding', 'chunked')
            self.send_header('Connection', 'close')
            self.end_headers()
            if body:
                for start in range(0, len(DATA), 50000):
                    piece = DATA[start:start + 50000]
                    self.wfile.write(b'%x\r\n%s\r\n' % (len(piece), piece))
                self.wfile.write(b'0\r\n\r\n')
        elif parts[0] == 'truncated':
            self.send_response(200)
            self.send_header('Content-Length', str(len(DATA)))
            self.send_header('Connection', 'close')
            self.end_headers()
            if body:
                self.wfile.write(DATA[:1000])
        elif parts[0] == 'auth':
            expected = 'Basic ' + base64.b64encode(b'alice:s3cr3t').decode()
            if self.headers.get('Authorization') == expected:
                self._send(200, DATA, body)
            else:
                self._send(401, b'who are you', body)
        else:
            self._send(404, b'not here', body)

    def _send(self, code, payload, body, **headers):
        self.send_response(code)
        self.send_header('Content-Length', str(len(payload)))
        self.send_header('Connection', 'close')
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(payload)


@pytest.fixture(scope='module')
def server():
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    srv.daemon_threads = True
    srv.requests = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(10)


@pytest.fixture
def base(server):
    server.requests.clear()
    return 'http://127.0.0.1:%d' % server.server_address[1]


@pytest.fixture
def store(server):
    return http_store.HttpStore(make_conf(
        import_filtering_opts__allowed_hosts=['127.0.0.1'],
        import_filtering_opts__allowed_ports=[server.server_address[1]]))


def _body(result):
    chunks, size = result
    try:
        return b''.join(chunks), size
    finally:
        chunks.close()


# -- reading ------------------------------------------------------------------------

def test_get_streams_in_bounded_chunks(store, base):
    chunks, size = store.get(base + '/image')
    pieces = list(chunks)
    assert size == len(DATA)
    assert b''.join(pieces) == DATA
    assert max(len(p) for p in pieces) <= http_store.READ_CHUNK_SIZE


def test_get_size_uses_head(store, base, server):
    assert store.get_size(base + '/image') == len(DATA)
    assert [r[0] for r in server.requests] == ['HEAD']


def test_chunked_without_length(store, base):
    assert _body(store.get(base + '/chunked')) == (DATA, 0)
    assert store.get_size(base + '/chunked') == 0


def test_follows_five_redirects_of_301_and_302(store, base, server):
    assert _body(store.get(base + '/redirect/5')) == (DATA, len(DATA))
    assert len(server.requests) == 6
    assert store.get_size(base + '/redirect/5') == len(DATA)


def test_a_sixth_redirect_is_an_error(store, base):
    with pytest.raises(exception.MaxRedirectsExceeded) as info:
        store.get(base + '/redirect/6')
    assert info.value.http_status == 400
    with pytest.raises(exception.MaxRedirectsExceeded):
        store.get_size(base + '/redirect/6')


def test_404_is_not_found(store, base):
    with pytest.raises(exception.NotFound):
        store.get(base + '/status/404')
    with pytest.raises(exception.NotFound):
        store.get_size(base + '/status/404')


@pytest.mark.parametrize('code', [500, 503, 403, 401, 303, 307])
def test_other_errors_and_redirect_codes_are_bad_store_uri(store, base, code):
    with pytest.raises(exception.BadStoreUri) as info:
        store.get(base + '/status/%d' % code)
    assert info.value.http_status == 400
    assert str(code) in info.value.msg
    with pytest.raises(exception.BadStoreUri):
        store.get_size(base + '/status/%d' % code)


def test_body_cut_short_raises_remote_unavailable(store, base):
    chunks, size = store.get(base + '/truncated')
    assert size == len(DATA)
    with pytest.raises(exception.RemoteServiceUnavailable):
        list(chunks)


def test_credentials_in_the_url_are_sent_as_basic_auth(store, server):
    port = server.server_address[1]
    url = 'http://alice:s3cr3t@127.0.0.1:%d/auth' % port
    assert _body(store.get(url)) == (DATA, len(DATA))
    with pytest.raises(exception.BadStoreUri) as info:
        store.get('http://alice:wrong@127.0.0.1:%d/auth' % port)
    assert 'wrong' not in info.value.msg and '***@127.0.0.1' in info.value.msg


def test_credentials_follow_relative_redirects_only(store, server):
    port = server.server_address[1]
    start = 'http://alice:s3cr3t@127.0.0.1:%d/redirect-to?url=' % port
    assert _body(store.get(start + '/auth')) == (DATA, len(DATA))
    server.requests.clear()
    absolute = urllib.parse.quote('http://127.0.0.1:%d/image' % port)
    store.get_size(start + absolute)
    assert server.requests[0][2] is not None and server.requests[1][2] is None


def test_unreachable_remote():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    store = http_store.HttpStore(make_conf(
        import_filtering_opts__allowed_hosts=['127.0.0.1'],
        import_filtering_opts__allowed_ports=[port]))
    url = 'http://user:pw@127.0.0.1:%d/image' % port
    with pytest.raises(exception.RemoteServiceUnavailable) as info:
        store.get(url)
    assert info.value.http_status == 503
    with pytest.raises(exception.BadStoreUri) as info:
        store.get_size(url)
    assert info.value.http_status == 400 and 'pw' not in info.value.msg


# -- read-only --------------------------------------------------------------------------

def test_is_read_only(store, base, server):
    with pytest.raises(exception.StoreAddDisabled) as info:
        store.add('img', Reader(b'abc'), 3)
    assert info.value.http_status == 410
    with pytest.raises(exception.StoreDeleteNotSupported):
        store.delete(base + '/image')
    assert server.requests == []


def test_ranges_are_not_supported(store, base, server):
    for offset, length in [(10, None), (0, 10)]:
        with pytest.raises(exception.StoreRandomGetNotSupported) as info:
            store.get(base + '/image', offset=offset, length=length)
        assert info.value.http_status == 400
    assert server.requests == []


def test_local_path_is_none(store, base):
    assert store.local_path(base + '/image') is None


# -- host filter on every request --------------------------------------------------------

@pytest.mark.parametrize('host', ['localhost', '127.1', '2130706433', '0x7f000001',
                                  '0177.0.0.1', '127.0.0.2', '[::1]',
                                  '[::ffff:127.0.0.1]', '0.0.0.0'])
def test_redirect_to_a_refused_host_is_not_followed(store, base, server, host):
    port = server.server_address[1]
    target = urllib.parse.quote('http://%s:%d/image' % (host, port))
    for call in (store.get, store.get_size):
        server.requests.clear()
        with pytest.raises(exception.ForbiddenLocation) as info:
            call(base + '/redirect-to?url=' + target)
        assert info.value.http_status == 400
        assert len(server.requests) == 1  # the redirect, never its target


@pytest.mark.parametrize('url', [
    'http://127.1:%(port)d/image',
    'http://2130706433:%(port)d/image',
    'http://0x7f000001:%(port)d/image',
    'http://0177.0.0.1:%(port)d/image',
    'http://localhost:%(port)d/image',
    'http://127.0.0.1:1/image',  # port not allowed
    'ftp://127.0.0.1:%(port)d/image',
])
def test_refused_urls_are_never_requested(store, server, url):
    port = server.server_address[1]
    url = url % {'port': port}
    server.requests.clear()
    for call in (store.get, store.get_size):
        with pytest.raises(exception.BadStoreUri) as info:
            call(url)
        assert info.value.http_status == 400
    assert server.requests == []


def test_loopback_needs_allowed_hosts(server, base):
    port = server.server_address[1]
    store = http_store.HttpStore(make_conf(import_filtering_opts__allowed_ports=[port]))
    server.requests.clear()
    with pytest.raises(exception.ForbiddenLocation) as info:
        store.get_size('http://bob:hunter2@127.0.0.1:%d/image' % port)
    assert 'loopback' in info.value.msg and 'hunter2' not in info.value.msg
    assert server.requests == []


def test_bad_ca_file_refuses_to_start(tmp_path):
    with pytest.raises(exception.BadStoreConfiguration) as info:
        http_store.HttpStore(make_conf(https_ca_certificates_file=str(tmp_path / 'nope')))
    assert 'https_ca_certificates_file' in str(info.value)


@pytest.mark.parametrize('proxies', [{'http': 'host:notaport'}, {'ftp': 'host:3128'}])
def test_bad_proxy_information_refuses_to_start(proxies):
    with pytest.raises(exception.BadStoreConfiguration) as info:
        http_store.HttpStore(make_conf(http_proxy_information=proxies))
    assert 'http_proxy_information' in str(info.value)


def test_plain_http_proxy_gets_the_absolute_url(server):
    # The test server plays the proxy: it receives the absolute target URL.
    port = server.server_address[1]
    store = http_store.HttpStore(make_conf(
        http_proxy_information={'http': '127.0.0.1:%d' % port},
        import_filtering_opts__allowed_hosts=['127.0.0.1'],
        import_filtering_opts__allowed_ports=[port]))
    server.requests.clear()
    assert store.get_size('http://127.0.0.1:%d/image' % port) == len(DATA)
    assert server.requests[0][1] == 'http://127.0.0.1:%d/image' % port
