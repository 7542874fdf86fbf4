"""The eventlet server on the real ``glance-registry`` console script.

The app behind it is a test app (tests/functional/apps.py) so that these tests pin the
server's behaviour (sockets, workers, signals, TLS) and nothing of the registry API.
"""
import http.client
import os
import re
import signal
import socket
import ssl
import stat
import subprocess
import threading

import pytest
import requests

from tests.functional import apps, fixtures

PROG = 'glance-registry'

TEST_PASTE_INI = """
[pipeline:glance-registry]
pipeline = healthcheck testapp

[pipeline:glance-registry-alt]
pipeline = healthcheck altapp

[app:testapp]
paste.app_factory = apps:app_factory
name = main
die_if_exists = %(here)s/die
die_how = kill
slow_if_exists = %(here)s/slow

[app:altapp]
paste.app_factory = apps:app_factory
name = alt
die_if_exists = %(here)s/die-exit
die_how = exit

[filter:healthcheck]
paste.filter_factory = glance_lite.api.middleware.healthcheck:HealthcheckFilter.factory
backends = disable_by_file
disable_by_file_path = %(here)s/healthcheck_disable
"""


@pytest.fixture
def make_server(server_factory):
    """``make_server(DEFAULT_options, **sections)``: an unstarted glance-registry
    serving the test app."""
    pythonpath = os.pathsep.join(
        p for p in (fixtures.FUNCTIONAL_DIR, os.environ.get('PYTHONPATH')) if p)

    def make(defaults=None, http_kwargs=None, **sections):
        sections['DEFAULT'] = dict(defaults or {})
        return server_factory(PROG, sections, paste_ini=TEST_PASTE_INI,
                              env={'PYTHONPATH': pythonpath}, http_kwargs=http_kwargs)
    return make


def pid_of_answer(server, **kwargs):
    """(pid, app name) of the process that answered ``GET /pid``."""
    response = server.get('/pid', **kwargs)
    assert response.status_code == 200, response.text
    pid, name = response.text.split()
    return int(pid), name


def distinct_pids(server, count, timeout=15):
    seen = set()

    def enough():
        seen.add(pid_of_answer(server)[0])
        return len(seen) >= count
    fixtures.wait_for(enough, timeout=timeout, message='%d distinct pids' % count)
    return seen


class Hammer:
    """Sends GET /pid from a thread until stopped; counts successes and failures.

    ``keepalive=True`` reuses one connection (a requests Session), as the registry
    client does; otherwise each request opens a new connection.
    """

    def __init__(self, server, keepalive):
        self.server = server
        self.session = requests.Session() if keepalive else requests
        self.ok = 0
        self.failures = []
        self.answers = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                response = self.session.get(self.server.url + '/pid', timeout=10)
                if response.status_code == 200:
                    self.ok += 1
                    self.answers.add(response.text)
                else:
                    self.failures.append(response.status_code)
            except requests.RequestException as e:
                self.failures.append(repr(e))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=20)


# -- socket and process --------------------------------------------------------


def test_serves_on_a_free_port_and_logs_where(make_server):
    server = make_server({'workers': '1'}).start()

    listening = re.findall(r'glance-registry listening on http://127\.0\.0\.1:(\d+)$',
                           server.log_text(), re.M)
    assert listening == [str(server.port)]
    assert server.port not in (0, 9191, 9292)
    assert pid_of_answer(server)[1] == 'main'
    fixtures.wait_for(lambda: '"GET /pid HTTP/1.1" status: 200' in server.log_text(),
                      message='the access line')


def test_files_created_by_the_server_are_not_world_readable(make_server, tmp_path):
    server = make_server({'workers': '0'}).start()
    path = tmp_path / 'created-by-server'

    response = requests.put(server.url + '/file', params={'path': str(path)}, data=b'x')

    assert response.status_code == 201
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o027 == 0


def test_two_workers_answer_from_two_pids(make_server):
    server = make_server({'workers': '2'}).start()

    pids = distinct_pids(server, 2)

    assert pids == set(server.workers())
    assert server.pid not in pids


def test_killed_worker_is_replaced_and_requests_keep_succeeding(make_server):
    server = make_server({'workers': '2'}).start()
    workers = set(fixtures.wait_for(lambda: len(server.workers()) == 2 and server.workers(),
                                    message='two workers'))
    victim = workers.pop()

    os.kill(victim, signal.SIGKILL)
    for _ in range(20):
        assert pid_of_answer(server)[0] != victim

    replaced = fixtures.wait_for(
        lambda: (len(server.workers()) == 2 and victim not in server.workers()
                 and server.workers()), message='a replacement worker')
    assert workers < set(replaced)
    assert re.search(r'worker %d died \(killed by SIGKILL\); starting a new one' % victim,
                     server.log_text())
    assert server.returncode is None


@pytest.mark.parametrize('workers', ['0', '1'])
def test_sigterm_lets_the_in_flight_request_finish_then_exits_0(make_server, workers):
    server = make_server({'workers': workers}).start()
    response = requests.get(server.url + '/slow', params={'seconds': '1.5'}, stream=True,
                            timeout=10)
    assert response.status_code == 200  # headers are in: the request is in flight

    server.send_signal(signal.SIGTERM)
    body = response.raw.read()

    assert body == apps.CHUNK * 15
    assert server.wait(timeout=15) == 0


def test_restart_on_the_same_port(make_server):
    server = make_server({'workers': '1'}).start()
    port, pid = server.port, server.pid

    server.restart()

    assert (server.port, server.returncode) == (port, None)
    assert server.pid != pid
    assert pid_of_answer(server)[1] == 'main'


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_exits_0_and_closes_the_socket(make_server, signum):
    server = make_server({'workers': '1'}).start()
    port = server.port

    server.stop(signum)

    assert server.returncode == 0
    with pytest.raises(OSError):
        socket.create_connection(('127.0.0.1', port), timeout=2).close()


# -- reload ----------------------------------------------------------------------


@pytest.mark.parametrize('keepalive', [False, True], ids=['new-connections', 'keep-alive'])
def test_sighup_under_load_fails_no_request_and_new_workers_use_new_config(
        make_server, keepalive):
    server = make_server({'workers': '2'}).start()
    old_workers = set(server.workers())

    with Hammer(server, keepalive) as hammer:
        fixtures.wait_for(lambda: hammer.ok > 20, message='load before the reload')
        server.write_files({'DEFAULT': {'workers': '3', 'public_endpoint': 'http://new',
                                        'debug': 'true'},
                            'paste_deploy': {'flavor': 'alt'}})
        server.reload()
        fixtures.wait_for(lambda: pid_of_answer(server)[1] == 'alt',
                          message='the new pipeline')
        before = hammer.ok
        fixtures.wait_for(lambda: hammer.ok > before + 20, message='load after the reload')

    assert hammer.failures == []
    new_workers = fixtures.wait_for(
        lambda: len(server.workers()) == 3 and server.workers(),
        message='exactly three workers (old ones gone)')
    assert not old_workers & set(new_workers)
    assert server.get('/conf', params={'opt': 'public_endpoint'}).text == 'http://new'
    debug_lines = re.findall(r'DEBUG glance_lite\.common\.server .* worker (\d+) serving',
                             server.log_text())
    assert set(map(int, debug_lines)) == set(new_workers)  # logging was set up again
    assert server.returncode is None


def test_sighup_with_workers_0_reloads_in_place(make_server):
    server = make_server({'workers': '0'}).start()
    pid_before, name_before = pid_of_answer(server)

    server.write_files({'DEFAULT': {'workers': '0'}, 'paste_deploy': {'flavor': 'alt'}})
    server.reload()

    fixtures.wait_for(lambda: pid_of_answer(server)[1] == 'alt', message='the new app')
    assert (pid_before, name_before) == (server.pid, 'main')
    assert pid_of_answer(server)[0] == server.pid


@pytest.mark.parametrize('breakage, message', [
    ({'DEFAULT': {'workers': 'many'}}, r'Reload of glance-registry failed: .*workers'),
    ({'paste_deploy': {'flavor': 'nope'}},
     r'Reload of glance-registry failed: cannot load the application: Unable to load '
     r'glance-registry-nope'),
], ids=['bad-value', 'missing-pipeline'])
def test_sighup_with_a_broken_configuration_keeps_serving(make_server, breakage, message):
    server = make_server({'workers': '2'}).start()
    workers = fixtures.wait_for(lambda: len(server.workers()) == 2 and server.workers(),
                                message='two workers')

    server.write_files(breakage)
    server.reload()

    fixtures.wait_for(lambda: re.search(message, server.log_text()),
                      message='the reload error')
    assert server.workers() == workers
    assert pid_of_answer(server)[1] == 'main'


def test_sighup_refuses_to_move_the_socket(make_server):
    server = make_server({'workers': '1'}).start()
    other_port = fixtures.free_port()

    server.write_files({'DEFAULT': {'workers': '1', 'bind_port': str(other_port),
                                    'public_endpoint': 'http://changed'}})
    server.reload()

    fixtures.wait_for(
        lambda: server.get('/conf', params={'opt': 'public_endpoint'}).text ==
        'http://changed', message='the rest of the reload')
    assert re.search(r'ERROR .*glance-registry cannot move its socket on reload: '
                     r'bind_host/bind_port changed from 127\.0\.0\.1:0 to '
                     r'127\.0\.0\.1:%d; still listening on http://127\.0\.0\.1:%d'
                     % (other_port, server.port), server.log_text())
    assert server.get('/healthcheck').status_code == 200
    with pytest.raises(OSError):
        socket.create_connection(('127.0.0.1', other_port), timeout=2).close()


def test_worker_killed_while_logging_does_not_hang_the_others(make_server):
    server = make_server({'workers': '2'}).start()
    response = requests.get(server.url + '/hold-logging-lock', stream=True, timeout=10)
    assert response.raw.read(len(apps.CHUNK)) == apps.CHUNK  # the lock is held now
    holder = int(response.headers['X-Pid'])

    os.kill(holder, signal.SIGKILL)

    fixtures.wait_for(lambda: 'worker %d died' % holder in server.log_text(),
                      message='the master to log the death')
    fixtures.wait_for(lambda: len(server.workers()) == 2, message='a replacement')
    for _ in range(10):
        assert pid_of_answer(server)[0] != holder
    fixtures.wait_for(lambda: '"GET /pid HTTP/1.1" status: 200' in server.log_text(),
                      message='the other workers to keep logging')
    response.close()


def test_workers_stop_when_the_master_is_killed(make_server):
    server = make_server({'workers': '2'}).start()
    workers = fixtures.wait_for(lambda: len(server.workers()) == 2 and server.workers(),
                                message='two workers')

    server.send_signal(signal.SIGKILL)
    server.wait()

    fixtures.wait_for(lambda: not any(fixtures.is_alive(pid) for pid in workers),
                      message='the orphaned workers to exit')


def test_worker_still_starting_when_the_master_dies_stops_too(make_server):
    server = make_server({'workers': '1'}).start()
    (worker,) = server.workers()
    open(os.path.join(server.workdir, 'slow'), 'w').close()  # new workers load slowly
    os.kill(worker, signal.SIGKILL)
    (starting,) = fixtures.wait_for(
        lambda: [pid for pid in server.workers() if pid != worker], message='a new worker')

    server.send_signal(signal.SIGKILL)
    server.wait()

    fixtures.wait_for(lambda: not fixtures.is_alive(starting), timeout=20,
                      message='the worker to stop once loaded')


# -- workers that fail -------------------------------------------------------------


def test_workers_that_keep_dying_at_start_make_the_master_give_up(make_server):
    server = make_server({'workers': '1'}).start()
    (worker,) = server.workers()
    open(os.path.join(server.workdir, 'die'), 'w').close()  # new workers SIGKILL themselves

    os.kill(worker, signal.SIGKILL)

    assert server.wait(timeout=20) == 2
    assert re.search(r'ERROR .*glance-registry: workers keep dying right after they start '
                     r'\(5 in a row', server.log_text())


def test_worker_exiting_non_zero_is_not_replaced(make_server):
    server = make_server({'workers': '2'}, paste_deploy={'flavor': 'alt'}).start()
    first, second = server.workers()
    open(os.path.join(server.workdir, 'die-exit'), 'w').close()  # new workers exit 3

    os.kill(first, signal.SIGKILL)
    fixtures.wait_for(lambda: 'exited with status 3; not restarting it' in server.log_text(),
                      message='the failed replacement')
    assert server.workers() == [second]
    assert pid_of_answer(server)[0] == second

    os.kill(second, signal.SIGKILL)
    assert server.wait(timeout=20) == 2
    assert 'all workers exited with errors' in server.log_text()


# -- HTTP ----------------------------------------------------------------------------


def test_header_line_longer_than_max_header_line_gets_a_clean_400(make_server):
    server = make_server({'workers': '0', 'max_header_line': '1024'}).start()

    assert server.get('/pid', headers={'X-Long': 'a' * 900}).status_code == 200
    response = server.get('/pid', headers={'X-Long': 'a' * 2000})

    assert response.status_code == 400
    with socket.create_connection(('127.0.0.1', server.port), timeout=5) as sock:
        sock.sendall(b'GET /pid HTTP/1.1\r\nHost: x\r\nX-Long: ' + b'a' * 5000 + b'\r\n\r\n')
        assert sock.recv(100).startswith(b'HTTP/1.0 400 ')


def test_unhandled_app_error_is_a_bare_500_and_a_logged_traceback(make_server):
    server = make_server({'workers': '0'}).start()

    response = server.get('/boom')

    assert response.status_code == 500
    assert b'boom' not in response.content and b'Traceback' not in response.content
    fixtures.wait_for(
        lambda: re.search(r'ERROR glance_lite\.common\.server .*Unhandled error while '
                          r'serving a request:\nTraceback', server.log_text()),
        message='the traceback in the log')
    assert 'ValueError: boom from the test app' in server.log_text()


def test_keep_alive_serves_two_requests_on_one_connection(make_server):
    server = make_server({'workers': '1'}).start()
    conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)

    conn.request('GET', '/pid')
    first = conn.getresponse()
    first_body = first.read()
    sock = conn.sock
    conn.request('GET', '/pid')
    second = conn.getresponse()

    assert first.getheader('Connection') != 'close'
    assert conn.sock is sock  # http.client would have reconnected after a close
    assert second.status == 200 and second.read() == first_body
    conn.close()


def test_file_wrapper_sends_exactly_content_length_bytes(make_server, tmp_path):
    server = make_server({'workers': '0'}).start()
    data = os.urandom(3 * 1024 * 1024 + 123)
    (tmp_path / 'image').write_bytes(data)
    path = str(tmp_path / 'image')
    session = requests.Session()

    whole = session.get(server.url + '/file', params={'path': path}, timeout=10)
    part = session.get(server.url + '/file', timeout=10,
                       params={'path': path, 'offset': '1000', 'length': '200000'})
    after = session.get(server.url + '/pid', timeout=10)  # same connection, still in sync

    assert whole.content == data
    assert part.content == data[1000:201000]
    assert after.status_code == 200


def test_http_keepalive_false_closes_after_each_response(make_server):
    server = make_server({'workers': '0', 'http_keepalive': 'false'}).start()
    conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=10)

    conn.request('GET', '/pid')
    response = conn.getresponse()
    response.read()

    assert response.getheader('Connection') == 'close'
    conn.close()


# -- TLS -----------------------------------------------------------------------------


def test_tls_with_a_self_signed_certificate(make_server, tmp_path):
    cert, key = fixtures.make_self_signed_cert(str(tmp_path))
    server = make_server({'workers': '1', 'cert_file': cert, 'key_file': key},
                         http_kwargs={'verify': cert}).start()

    assert server.scheme == 'https'
    assert re.search(r'glance-registry listening on https://127\.0\.0\.1:%d' % server.port,
                     server.log_text())
    assert pid_of_answer(server)[1] == 'main'
    data = os.urandom(300000)
    (tmp_path / 'image').write_bytes(data)
    assert server.get('/file', params={'path': str(tmp_path / 'image')}).content == data
    with pytest.raises(requests.ConnectionError):
        requests.get('http://127.0.0.1:%d/pid' % server.port, timeout=5)


def test_tls_with_ca_file_requires_a_client_certificate(make_server, tmp_path):
    cert, key = fixtures.make_self_signed_cert(str(tmp_path))
    client_cert, client_key = fixtures.make_self_signed_cert(str(tmp_path), name='client')
    server = make_server({'workers': '0', 'cert_file': cert, 'key_file': key,
                          'ca_file': client_cert},
                         http_kwargs={'verify': cert, 'cert': (client_cert, client_key)}
                         ).start()

    assert pid_of_answer(server)[1] == 'main'
    with pytest.raises((requests.exceptions.SSLError, requests.ConnectionError)):
        requests.get(server.url + '/pid', verify=cert, timeout=5)
    context = ssl.create_default_context(cafile=cert)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        with socket.create_connection(('127.0.0.1', server.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname='127.0.0.1') as tls:
                tls.sendall(b'GET /pid HTTP/1.1\r\nHost: x\r\n\r\n')
                tls.recv(100)


@pytest.mark.parametrize('given', ['cert_file', 'key_file'])
def test_tls_needs_both_cert_and_key(make_server, tmp_path, given):
    cert, key = fixtures.make_self_signed_cert(str(tmp_path))
    server = make_server({'workers': '0', given: cert if given == 'cert_file' else key})

    server.launch()

    assert server.wait(timeout=30) == 1
    assert ('ERROR: When running server in SSL mode, you must specify both a cert_file '
            'and key_file option value in your configuration file') in server.stderr_text()


# -- configuration -----------------------------------------------------------------


def test_no_configuration_anywhere_is_an_error(tmp_path):
    cwd, home = tmp_path / 'cwd', tmp_path / 'home'
    cwd.mkdir()
    home.mkdir()
    env = dict(os.environ, HOME=str(home))

    result = subprocess.run([fixtures.venv_bin(PROG)], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode != 0
    assert ('ERROR: Unable to locate any configuration file. Cannot load application '
            'glance-registry') in result.stderr
