"""Unit tests of the server's decisions: settings, TLS files, the worker respawn policy
and where eventlet's log lines go.  Sockets and processes: tests/functional/test_server.py.
"""
import logging
import threading

import pytest
from oslo_config import cfg

from glance_lite.common import offload, server
from glance_lite.conf import server as server_opts

# server.py is the one module that imports eventlet; its header limits are globals there.
EVENTLET_WSGI = server.eventlet.wsgi


@pytest.fixture
def conf():
    conf = cfg.ConfigOpts()
    server_opts.register_opts(conf)
    conf([], project='glance')
    return conf


def settings_of(conf, default_port=9191, **overrides):
    for name, value in overrides.items():
        conf.set_override(name, value)
    return server.Settings.from_conf(conf, default_port)


class TestSettings:
    def test_unset_bind_port_is_the_programs_default_port(self, conf):
        assert settings_of(conf, default_port=9292).bind_port == 9292

    def test_bind_port_0_is_kept_to_pick_a_free_port(self, conf):
        assert settings_of(conf, bind_port=0).bind_port == 0

    @pytest.mark.parametrize('cpus, expected', [(2, 2), (32, 8), (None, 1)])
    def test_unset_workers_is_the_cpu_count_capped_at_8(
            self, conf, monkeypatch, cpus, expected):
        monkeypatch.setattr(server.os, 'cpu_count', lambda: cpus)
        assert settings_of(conf).workers == expected

    def test_workers_0_means_no_fork(self, conf):
        assert settings_of(conf, workers=0).workers == 0

    def test_client_socket_timeout_0_waits_forever(self, conf):
        assert settings_of(conf, client_socket_timeout=0).client_socket_timeout is None
        assert settings_of(conf, client_socket_timeout=30).client_socket_timeout == 30

    @pytest.mark.parametrize('given', ['cert_file', 'key_file'])
    def test_tls_needs_both_cert_and_key(self, conf, given):
        with pytest.raises(RuntimeError) as e:
            settings_of(conf, **{given: '/some/file'})
        assert str(e.value) == (
            'When running server in SSL mode, you must specify both a cert_file and '
            'key_file option value in your configuration file')

    def test_no_tls_files_no_context(self, conf):
        settings = settings_of(conf)
        assert not settings.use_tls
        assert server.make_ssl_context(settings) is None


class TestSslContext:
    def test_missing_file_is_named(self, conf, tmp_path):
        key = tmp_path / 'key.pem'
        key.write_text('x')
        settings = settings_of(conf, cert_file=str(tmp_path / 'nope.pem'),
                               key_file=str(key))
        with pytest.raises(RuntimeError) as e:
            server.make_ssl_context(settings)
        assert str(e.value) == 'Unable to find cert_file : %s' % (tmp_path / 'nope.pem')

    def test_unusable_files_refuse_start_up(self, conf, tmp_path):
        (tmp_path / 'cert.pem').write_text('not a certificate')
        (tmp_path / 'key.pem').write_text('not a key')
        settings = settings_of(conf, cert_file=str(tmp_path / 'cert.pem'),
                               key_file=str(tmp_path / 'key.pem'))
        with pytest.raises(RuntimeError, match='Unable to use TLS files'):
            server.make_ssl_context(settings)


class FakeSocket:
    def __init__(self, *address):
        self.address = address

    def getsockname(self):
        return self.address


@pytest.mark.parametrize('address, tls, url', [
    (('127.0.0.1', 8080), False, 'http://127.0.0.1:8080'),
    (('::1', 8443, 0, 0), True, 'https://[::1]:8443'),
])
def test_socket_url(address, tls, url):
    assert server.socket_url(FakeSocket(*address), tls) == url


class TestHeaderLimits:
    @pytest.fixture(autouse=True)
    def restore(self):
        saved = EVENTLET_WSGI.MAX_HEADER_LINE, EVENTLET_WSGI.MAX_TOTAL_HEADER_SIZE
        yield
        EVENTLET_WSGI.MAX_HEADER_LINE, EVENTLET_WSGI.MAX_TOTAL_HEADER_SIZE = saved

    def test_max_header_line_is_eventlets_limit(self, conf):
        server.apply_header_limits(settings_of(conf, max_header_line=1024))
        assert EVENTLET_WSGI.MAX_HEADER_LINE == 1024
        assert EVENTLET_WSGI.MAX_TOTAL_HEADER_SIZE == 65536

    def test_max_header_line_0_is_unlimited(self, conf):
        server.apply_header_limits(settings_of(conf, max_header_line=0))
        assert EVENTLET_WSGI.MAX_HEADER_LINE > 2 ** 40
        assert EVENTLET_WSGI.MAX_TOTAL_HEADER_SIZE > 2 ** 40


class TestEventletLog:
    def test_access_lines_go_to_info_on_eventlets_logger(self, caplog):
        caplog.set_level(logging.INFO)
        server.EventletLog().info('127.0.0.1 "GET /a%20b HTTP/1.1" status: 200')
        [record] = caplog.records
        assert (record.name, record.levelno) == ('eventlet.wsgi.server', logging.INFO)
        assert record.getMessage() == '127.0.0.1 "GET /a%20b HTTP/1.1" status: 200'

    def test_tracebacks_of_failed_responses_are_errors(self, caplog):
        caplog.set_level(logging.INFO)
        server.EventletLog().info('Traceback (most recent call last):\n  boom\n')
        [record] = caplog.records
        assert (record.name, record.levelno) == ('glance_lite.common.server', logging.ERROR)
        assert 'boom' in record.getMessage()


WorkerTable = server.WorkerTable
T = WorkerTable  # short for the decisions


def started_table(target, now=0.0, first_pid=100, ready=True):
    table = WorkerTable(target)
    for pid in range(first_pid, first_pid + target):
        table.added(pid, now)
        if ready:
            table.mark_ready(pid)
    return table


class TestWorkerTable:
    def test_starts_the_target_number(self):
        table = WorkerTable(3)
        assert table.missing() == 3
        table.added(1, 0.0)
        assert table.missing() == 2

    def test_worker_killed_by_a_signal_is_replaced(self):
        table = started_table(2)
        assert table.exited(100, -9, now=50.0) == T.RESPAWN
        assert table.missing() == 1

    def test_worker_exiting_0_unasked_is_replaced(self):
        table = started_table(2)
        assert table.exited(100, 0, now=50.0) == T.RESPAWN
        assert table.missing() == 1

    def test_worker_exiting_non_zero_is_not_replaced(self):
        table = started_table(2)
        assert table.exited(100, 1, now=50.0) == T.FAILED
        assert table.missing() == 0

    def test_all_workers_exiting_non_zero_means_give_up(self):
        table = started_table(2)
        table.exited(100, 1, now=50.0)
        assert table.exited(101, 1, now=50.0) == T.GIVE_UP

    def test_quick_deaths_in_a_row_mean_give_up(self):
        table = WorkerTable(1)
        pid = 1
        table.added(pid, 0.0)
        for _ in range(server.QUICK_DEATH_LIMIT - 1):
            assert table.exited(pid, -9, now=0.1) == T.RESPAWN
            pid += 1
            table.added(pid, 0.2)
        assert table.exited(pid, -9, now=0.3) == T.GIVE_UP

    def test_a_worker_that_lived_resets_the_quick_death_count(self):
        table = WorkerTable(1)
        table.added(1, 0.0)
        table.exited(1, -9, now=0.1)
        table.added(2, 0.2)
        table.mark_ready(2)
        table.exited(2, -9, now=100.0)
        assert table.quick_deaths == 0

    def test_unknown_pid_is_ignored(self):
        assert started_table(1).exited(4242, -9, now=1.0) == T.IGNORE


class TestWorkerTableReload:
    def test_old_workers_retire_only_when_all_new_ones_are_ready(self):
        table = started_table(2)
        table.new_generation(3)
        assert table.missing() == 3
        for pid in (200, 201, 202):
            table.added(pid, 1.0)
        table.mark_ready(200)
        table.mark_ready(201)
        assert table.to_retire() == []
        table.mark_ready(202)
        assert sorted(table.to_retire()) == [100, 101]
        assert table.to_retire() == []  # asked once

    def test_retiring_workers_exiting_are_not_replaced(self):
        table = started_table(1)
        table.new_generation(1)
        table.added(200, 1.0)
        table.mark_ready(200)
        table.to_retire()
        assert table.exited(100, 0, now=2.0) == T.IGNORE
        assert table.missing() == 0

    def test_new_workers_all_failing_leave_the_old_ones_serving(self):
        table = started_table(2)
        generation = table.generation
        table.new_generation(2)
        table.added(200, 1.0)
        table.added(201, 1.0)
        assert table.exited(200, 1, now=1.5) == T.FAILED
        assert table.exited(201, 1, now=1.5) == T.FAILED
        assert table.reverted(generation + 1)
        assert table.generation == generation
        assert table.missing() == 0
        assert table.exited(100, -9, now=60.0) == T.RESPAWN


def test_offload_runs_in_another_thread_and_reraises():
    # Not monkey patched here: the plain thread pool stands in for eventlet's tpool.
    caller = threading.get_ident()
    assert offload.offload(threading.get_ident)() != caller
    with pytest.raises(ZeroDivisionError):
        offload.offload(divmod, 1, 0)()
