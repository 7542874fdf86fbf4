"""The real glance-control driving the real glance-api, glance-registry and
glance-scrubber (seed: controlling-servers; spec cli.md §2).

Each test lays out a directory as an operator would (configuration files, paste files,
an SQLite database, the file store, pid files under ``run/``) and runs glance-control
there, as the seed does: ``glance-control --pid-file run/ api start glance-api.conf``.
The servers listen on free loopback ports chosen when the files are written.
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from glance_lite import control
from glance_lite.common import daemon
from tests.functional import deployment, fixtures

SERVERS = ('glance-api', 'glance-registry', 'glance-scrubber')
# Printed when this machine will not let the open-files limit be raised; what it says
# depends on the machine, not on the command.
FD_LIMIT_LINE = 'Unable to increase file descriptor limit.  Running as non-root?'


@pytest.fixture(scope='module')
def synced_db(tmp_path_factory):
    """An SQLite file at the migration heads, synced once by the real glance-manage."""
    workdir = tmp_path_factory.mktemp('control-db')
    path = workdir / 'glance.sqlite'
    conf = workdir / 'glance-manage.conf'
    fixtures.write_conf(str(conf), {'database': {'connection': 'sqlite:///%s' % path}})
    subprocess.run([fixtures.venv_bin('glance-manage'), '--config-file', str(conf),
                    'db_sync'], check=True, capture_output=True, timeout=120)
    return path


class Site:
    """A directory laid out for the three servers, and glance-control run in it."""

    def __init__(self, root, synced_db):
        self.root = root
        self.run_dir = root / 'run'
        self.db_url = 'sqlite:///%s' % (root / 'glance.sqlite')
        shutil.copy(synced_db, root / 'glance.sqlite')
        for name in ('glance-api-paste.ini', 'glance-registry-paste.ini', 'policy.json'):
            shutil.copy(os.path.join(deployment.REPO_ETC, name), root)
        (root / 'images').mkdir()
        self.ports = {'glance-api': fixtures.free_port(),
                      'glance-registry': fixtures.free_port()}
        self.seen_pids = {}  # pid -> server, from the pid files
        self.supervisors = []
        for server in SERVERS:
            self.write(server)

    def base_sections(self, server):
        defaults = {'workers': '1', 'log_file': str(self.root / ('%s.log' % server))}
        if server != 'glance-scrubber':
            defaults.update(bind_host='127.0.0.1', bind_port=str(self.ports[server]))
        store = {'stores': 'file, http', 'default_store': 'file',
                 'filesystem_store_datadir': str(self.root / 'images')}
        if server == 'glance-api':
            defaults.update(registry_host='127.0.0.1',
                            registry_port=str(self.ports['glance-registry']))
            return {'DEFAULT': defaults, 'glance_store': store}
        sections = {'DEFAULT': defaults, 'database': {'connection': self.db_url}}
        if server == 'glance-scrubber':
            defaults.update(daemon='True', wakeup_time='3600')
            sections['glance_store'] = store
        return sections

    def conf_path(self, server):
        return self.root / ('%s.conf' % server)

    def write(self, server, extra=None, drop=()):
        """(Re)write ``<server>.conf``: the base sections updated with ``extra``,
        without the ``[DEFAULT]`` options named in ``drop``."""
        sections = fixtures.merge_sections(self.base_sections(server), extra)
        for option in drop:
            del sections['DEFAULT'][option]
        fixtures.write_conf(str(self.conf_path(server)), sections)

    # -- glance-control ----------------------------------------------------------

    def env(self, extra=None):
        env = dict(os.environ, HOME=str(self.root))
        env.update(extra or {})
        return env

    def control(self, *args, env=None, timeout=120):
        """Run ``glance-control ARGS`` in the site's directory; the result has
        ``said`` (stdout lines but :data:`FD_LIMIT_LINE`)."""
        result = subprocess.run([fixtures.venv_bin('glance-control')] + list(args),
                                cwd=str(self.root), env=self.env(env), text=True,
                                capture_output=True, timeout=timeout)
        result.said = [line for line in result.stdout.splitlines() if line != FD_LIMIT_LINE]
        self.remember_pids()
        return result

    def supervise(self, *args):
        """``glance-control ARGS`` left running (``--respawn``); output in a file."""
        out = open(self.root / ('supervisor-%d.out' % len(self.supervisors)), 'w+')
        process = subprocess.Popen([fixtures.venv_bin('glance-control')] + list(args),
                                   cwd=str(self.root), env=self.env(), stdout=out,
                                   stderr=subprocess.STDOUT, text=True)
        self.supervisors.append((process, out))
        return process

    def supervisor_output(self, process):
        out = dict(self.supervisors)[process]
        out.seek(0)
        return [line for line in out.read().splitlines() if line != FD_LIMIT_LINE]

    # -- the servers -------------------------------------------------------------

    def pid_path(self, server):
        return self.run_dir / ('%s.pid' % server)

    def pid(self, server):
        try:
            pid = int(self.pid_path(server).read_text())
        except FileNotFoundError:
            return None
        self.seen_pids[pid] = server
        return pid

    def remember_pids(self):
        for server in SERVERS:
            self.pid(server)

    def url(self, server):
        return 'http://127.0.0.1:%d' % self.ports[server]

    def healthy(self, server):
        try:
            return requests.get(self.url(server) + '/healthcheck', timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_healthy(self, server, timeout=30):
        fixtures.wait_for(lambda: self.healthy(server), timeout=timeout,
                          message='%s to answer /healthcheck\n%s' % (server, self.log(server)))

    def refuses_connections(self, server):
        try:
            socket.create_connection(('127.0.0.1', self.ports[server]), timeout=2).close()
        except OSError:
            return True
        return False

    def workers(self, server):
        return set(fixtures.child_pids(self.pid(server)))

    def wait_workers(self, server, count, not_in=()):
        """Wait until ``server`` has exactly ``count`` workers, none of ``not_in``."""
        return fixtures.wait_for(
            lambda: (len(self.workers(server)) == count
                     and not self.workers(server) & set(not_in) and self.workers(server)),
            message='%d new workers of %s' % (count, server))

    def log(self, server):
        path = self.root / ('%s.log' % server)
        return path.read_text(errors='replace') if path.exists() else ''

    def cleanup(self):
        for process, out in self.supervisors:
            if process.poll() is None:
                process.kill()
                process.wait()
            out.close()
        self.remember_pids()
        for pid, server in self.seen_pids.items():
            if daemon.is_running(pid, server):
                daemon.kill_group(pid)


@pytest.fixture
def site(tmp_path, synced_db):
    site = Site(tmp_path, synced_db)
    yield site
    site.cleanup()


# -- the seed's workflow ------------------------------------------------------------


@pytest.mark.parametrize('short', ['api', 'registry'])
def test_start_status_reload_restart_stop_as_in_the_seed(site, short):
    server = 'glance-%s' % short
    conf = str(site.conf_path(server))

    started = site.control('--pid-file', 'run/', short, 'start', '%s.conf' % server)
    assert (started.returncode, started.said) == (0, ['Starting %s with %s' % (server, conf)])
    site.wait_healthy(server)
    pid = site.pid(server)
    assert daemon.is_running(pid, server)

    status = site.control('--pid-file', 'run/', short, 'status')
    assert (status.returncode, status.said) == (0, ['%s (pid %d) is running...' % (server, pid)])

    # reload: the same master, new workers serving the new configuration.
    old_workers = site.wait_workers(server, 1)
    site.write(server, {'DEFAULT': {'workers': '2'}})
    reloaded = site.control('--pid-file', 'run/', short, 'reload')
    assert (reloaded.returncode, reloaded.said) == (
        0, ['Reloading %s (pid %d) with signal(1)' % (server, pid)])
    site.wait_workers(server, 2, not_in=old_workers)
    assert site.pid(server) == pid and site.healthy(server)

    restarted = site.control('--pid-file', 'run/', short, 'restart', '%s.conf' % server)
    assert restarted.returncode == 0
    new_pid = site.pid(server)
    assert restarted.said == ['Stopping %s  pid: %d  signal: 15' % (server, pid),
                              'Starting %s with %s' % (server, conf)]
    assert new_pid != pid and not daemon.is_alive(pid)
    site.wait_healthy(server)

    stopped = site.control('--pid-file', 'run/', short, 'stop')
    assert (stopped.returncode, stopped.said) == (
        0, ['Stopping %s  pid: %d  signal: 15' % (server, new_pid)])
    # stop returned once the server had ended, not merely once it was signalled
    assert not daemon.is_alive(new_pid)
    assert site.refuses_connections(server)
    assert not site.pid_path(server).exists()

    status = site.control('--pid-file', 'run/', short, 'status')
    assert (status.returncode, status.said) == (3, ['%s is stopped' % server])
    again = site.control('--pid-file', 'run/', short, 'stop')
    assert (again.returncode, again.said) == (0, ['%s is already stopped' % server])


def test_all_starts_reloads_restarts_and_stops_the_three_servers(site):
    confs = {server: str(site.conf_path(server)) for server in SERVERS}

    started = site.control('--pid-file', 'run/', 'all', 'start', '.')
    assert started.returncode == 0, started.stderr
    assert started.said == ['Starting %s with %s' % (s, confs[s]) for s in SERVERS]
    site.wait_healthy('glance-registry')
    site.wait_healthy('glance-api')
    pids = {server: site.pid(server) for server in SERVERS}
    fixtures.wait_for(lambda: 'running as a daemon' in site.log('glance-scrubber'),
                      message='the scrubber daemon\n' + site.log('glance-scrubber'))

    status = site.control('--pid-file', 'run/', 'all', 'status')
    assert (status.returncode, status.said) == (
        0, ['%s (pid %d) is running...' % (s, pids[s]) for s in SERVERS])

    reloaded = site.control('--pid-file', 'run/', 'all', 'reload')
    assert (reloaded.returncode, reloaded.said) == (
        0, ['Reloading %s (pid %d) with signal(1)' % (s, pids[s])
            for s in ('glance-api', 'glance-registry')])

    # LSB's force-reload: a reload where the server can, a restart where it cannot
    forced = site.control('--pid-file', 'run/', 'all', 'force-reload', '.')
    assert forced.returncode == 0, forced.stderr
    assert forced.said == [
        'Reloading glance-api (pid %d) with signal(1)' % pids['glance-api'],
        'Reloading glance-registry (pid %d) with signal(1)' % pids['glance-registry'],
        'Stopping glance-scrubber  pid: %d  signal: 15' % pids['glance-scrubber'],
        'Starting glance-scrubber with %s' % confs['glance-scrubber']]
    assert not daemon.is_alive(pids['glance-scrubber'])
    pids['glance-scrubber'] = site.pid('glance-scrubber')

    restarted = site.control('--pid-file', 'run/', 'all', 'restart', '.')
    assert restarted.returncode == 0, restarted.stderr
    assert restarted.said == [
        line for s in SERVERS for line in ('Stopping %s  pid: %d  signal: 15' % (s, pids[s]),
                                           'Starting %s with %s' % (s, confs[s]))]
    new_pids = {server: site.pid(server) for server in SERVERS}
    assert not set(new_pids.values()) & set(pids.values())
    site.wait_healthy('glance-api')
    site.wait_healthy('glance-registry')

    stopped = site.control('--pid-file', 'run/', 'all', 'stop')
    assert (stopped.returncode, stopped.said) == (
        0, ['Stopping %s  pid: %d  signal: 15' % (s, new_pids[s]) for s in SERVERS])
    assert not any(daemon.is_alive(pid) for pid in new_pids.values())
    assert os.listdir(site.run_dir) == []


def test_reload_under_load_from_another_process_drops_nothing(site):
    for server in ('glance-registry', 'glance-api'):
        site.write(server, {'DEFAULT': {'workers': '2'}})
        assert site.control('--pid-file', 'run/', server, 'start',
                            '%s.conf' % server).returncode == 0
        site.wait_healthy(server)
    data = os.urandom(256 * 1024)
    created = requests.post(site.url('glance-api') + '/v1/images', data=data, timeout=30,
                            headers={'Content-Type': 'application/octet-stream',
                                     'x-image-meta-name': 'under-load',
                                     'x-image-meta-disk_format': 'raw',
                                     'x-image-meta-container_format': 'bare'})
    assert created.status_code == 201, created.text
    image_id = created.json()['image']['id']
    report, stop = site.root / 'load.json', site.root / 'load.stop'
    load = subprocess.Popen(
        [sys.executable, os.path.join(fixtures.FUNCTIONAL_DIR, 'loadgen.py'),
         site.url('glance-api'), image_id, hashlib.md5(data).hexdigest(), str(report),
         str(stop)])

    def counts():
        return json.loads(report.read_text()) if report.exists() else None

    def at_least(downloads, metadata):
        now = counts()
        return now and now['downloads'] >= downloads and now['metadata'] >= metadata

    try:
        fixtures.wait_for(lambda: at_least(5, 5), message='load before the reload')
        old = {s: site.wait_workers(s, 2) for s in ('glance-api', 'glance-registry')}
        for server in old:
            site.write(server, {'DEFAULT': {'workers': '3', 'image_size_cap': '1024'}})

        reloaded = site.control('--pid-file', 'run/', 'all', 'reload')
        assert reloaded.returncode == 0, reloaded.stderr

        for server, workers in old.items():
            site.wait_workers(server, 3, not_in=workers)
        before = counts()
        fixtures.wait_for(lambda: at_least(before['downloads'] + 5, before['metadata'] + 5),
                          message='load after the reload')
    finally:
        stop.touch()
        load.wait(timeout=60)
    final = counts()
    assert final['failures'] == []
    assert final['downloads'] > 10 and final['metadata'] > 10
    # the api's new workers apply the new image_size_cap (v1: 400 for a declared size)
    too_big = requests.post(site.url('glance-api') + '/v1/images', data=b'x' * 2048,
                            timeout=30,
                            headers={'Content-Type': 'application/octet-stream',
                                     'x-image-meta-name': 'too-big',
                                     'x-image-meta-disk_format': 'raw',
                                     'x-image-meta-container_format': 'bare'})
    assert too_big.status_code == 400, too_big.text
    assert 'Denying attempt to upload image larger than 1024 bytes.' in too_big.text


def test_reload_right_after_start_does_not_kill_the_loading_server(site):
    assert site.control('--pid-file', 'run/', 'registry', 'start',
                        'glance-registry.conf').returncode == 0
    pid = site.pid('glance-registry')

    reloaded = site.control('--pid-file', 'run/', 'registry', 'reload')

    assert reloaded.said == ['Reloading glance-registry (pid %d) with signal(1)' % pid]
    site.wait_healthy('glance-registry')
    assert site.pid('glance-registry') == pid and daemon.is_running(pid, 'glance-registry')


def test_shutdown_lets_the_request_in_flight_finish(site):
    site.write('glance-api', {'DEFAULT': {'workers': '2'}})
    assert site.control('--pid-file', 'run/', 'all', 'start', '.').returncode == 0
    site.wait_healthy('glance-registry')
    site.wait_healthy('glance-api')
    data = os.urandom(4 * 1024 * 1024)
    created = requests.post(site.url('glance-api') + '/v1/images', data=data, timeout=30,
                            headers={'Content-Type': 'application/octet-stream',
                                     'x-image-meta-name': 'in-flight',
                                     'x-image-meta-disk_format': 'raw',
                                     'x-image-meta-container_format': 'bare'})
    assert created.status_code == 201, created.text
    pid = site.pid('glance-api')
    response = requests.get(site.url('glance-api') + '/v1/images/' +
                            created.json()['image']['id'], stream=True, timeout=30)
    body = [next(response.iter_content(65536))]  # the download has begun
    shutdown = {}
    thread = threading.Thread(
        target=lambda: shutdown.update(result=site.control('--pid-file', 'run/', 'api',
                                                           'shutdown')))
    thread.start()
    fixtures.wait_for(lambda: site.refuses_connections('glance-api'),
                      message='the api to stop accepting')
    body.extend(response.iter_content(65536))  # read the rest only now
    thread.join(timeout=120)

    assert b''.join(body) == data
    assert (shutdown['result'].returncode, shutdown['result'].said) == (
        0, ['Stopping glance-api  pid: %d  signal: 15' % pid])
    assert not daemon.is_alive(pid)


# -- respawn ------------------------------------------------------------------------


def wait_older_than_a_bounce(site, server):
    """--respawn only respawns a server that lived more than a second."""
    fixtures.wait_for(lambda: time.time() - os.path.getmtime(site.pid_path(server))
                      > control.BOUNCE_SECONDS + 0.2, message='the server to outlive a bounce')


def test_respawn_after_kill_9(site):
    conf = str(site.conf_path('glance-api'))
    supervisor = site.supervise('--pid-file', 'run/', 'api', 'start', '--respawn',
                                'glance-api.conf')
    fixtures.wait_for(lambda: site.pid('glance-api'), message='the pid file')
    site.wait_healthy('glance-api')
    first = site.pid('glance-api')
    wait_older_than_a_bounce(site, 'glance-api')

    os.kill(first, signal.SIGKILL)

    second = fixtures.wait_for(lambda: site.pid('glance-api') not in (None, first)
                               and site.pid('glance-api'), message='a new pid')
    site.wait_healthy('glance-api')
    assert daemon.is_running(second, 'glance-api')
    assert supervisor.poll() is None
    assert site.supervisor_output(supervisor) == [
        'Starting glance-api with %s' % conf,
        'glance-api (pid %d) died: killed by SIGKILL' % first,
        'Respawning glance-api with %s' % conf]


def test_no_respawn_after_stop(site):
    supervisor = site.supervise('--respawn', '--pid-file', 'run/', 'api', 'start',
                                'glance-api.conf')
    fixtures.wait_for(lambda: site.pid('glance-api'), message='the pid file')
    site.wait_healthy('glance-api')
    pid = site.pid('glance-api')
    wait_older_than_a_bounce(site, 'glance-api')

    stopped = site.control('--pid-file', 'run/', 'api', 'stop')

    assert stopped.said == ['Stopping glance-api  pid: %d  signal: 15' % pid]
    assert supervisor.wait(timeout=30) == 0
    assert site.supervisor_output(supervisor)[-1] == \
        'Suppressed respawn as glance-api was deliberately stopped.'
    assert site.pid('glance-api') is None
    assert site.refuses_connections('glance-api')


def test_a_server_killed_within_a_second_of_starting_is_not_respawned(site):
    supervisor = site.supervise('--respawn', '--pid-file', 'run/', 'api', 'start',
                                'glance-api.conf')
    pid = fixtures.wait_for(lambda: site.pid('glance-api'), message='the pid file')
    os.kill(pid, signal.SIGKILL)

    assert supervisor.wait(timeout=30) == 1
    assert site.supervisor_output(supervisor) == [
        'Starting glance-api with %s' % site.conf_path('glance-api'),
        'Suppressed respawn as glance-api was bouncing.']
    assert site.pid('glance-api') is None


def test_a_server_that_refuses_to_run_is_not_respawned(site):
    site.write('glance-api', {'glance_store': {'default_store': 'nowhere'}})
    supervisor = site.supervise('--respawn', '--pid-file', 'run/', 'api', 'start',
                                'glance-api.conf')

    assert supervisor.wait(timeout=30) == 1
    assert site.supervisor_output(supervisor) == [
        'Starting glance-api with %s' % site.conf_path('glance-api'),
        'Suppressed respawn as glance-api exited with status 1.']
    assert site.pid('glance-api') is None


# -- pid files ----------------------------------------------------------------------


def test_stale_pid_file_is_reported_then_replaced(site):
    dead = subprocess.Popen(['true'])
    dead.wait()
    site.run_dir.mkdir()
    site.pid_path('glance-api').write_text('%d\n' % dead.pid)
    pid_path = str(site.pid_path('glance-api'))

    status = site.control('--pid-file', 'run/', 'api', 'status')
    assert (status.returncode, status.said) == (1, [
        'glance-api is not running: stale pid file %s (pid %d is not running)'
        % (pid_path, dead.pid)])
    reload = site.control('--pid-file', 'run/', 'api', 'reload')
    assert reload.returncode == 7
    assert reload.stderr == 'Server glance-api is stopped (stale pid file %s)\n' % pid_path

    started = site.control('--pid-file', 'run/', 'api', 'start', 'glance-api.conf')
    assert (started.returncode, started.said) == (0, [
        'Removing stale pid file %s' % pid_path,
        'Starting glance-api with %s' % site.conf_path('glance-api')])
    site.wait_healthy('glance-api')
    assert site.pid('glance-api') != dead.pid


def test_second_start_finds_the_server_running(site):
    assert site.control('--pid-file', 'run/', 'api', 'start',
                        'glance-api.conf').returncode == 0
    pid = site.pid('glance-api')

    again = site.control('--pid-file', 'run/', 'api', 'start', 'glance-api.conf')

    assert (again.returncode, again.said) == (0, [
        'glance-api appears to already be running: %s' % site.pid_path('glance-api')])
    assert site.pid('glance-api') == pid


def test_unwritable_pid_location_refuses_to_start(site):
    # As root every directory is writable; a path through a regular file is not.
    (site.root / 'not-a-dir').write_text('')
    pid_path = site.root / 'not-a-dir' / 'glance-api.pid'

    started = site.control('--pid-file', str(pid_path), 'api', 'start', 'glance-api.conf')

    assert started.returncode == 4
    assert started.said == []
    assert started.stderr == (
        'Unable to create pid file %s: Not a directory.\n'
        'glance-api not started; choose a writable location with --pid-file.\n' % pid_path)
    assert site.refuses_connections('glance-api')
    assert not site.log('glance-api')  # the server never ran


# -- finding things -----------------------------------------------------------------


def test_without_confpath_the_server_finds_its_configuration(site):
    started = site.control('--pid-file', 'run/', 'api', 'start')

    assert (started.returncode, started.said) == (0, ['Starting glance-api'])
    site.wait_healthy('glance-api')  # it found ./glance-api.conf, with its port


def test_without_any_configuration_nothing_starts(site, tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    result = subprocess.run([fixtures.venv_bin('glance-control'), '--pid-file',
                             str(site.run_dir) + '/', 'api', 'start'], cwd=str(empty),
                            env=dict(os.environ, HOME=str(empty)), text=True,
                            capture_output=True, timeout=60)
    assert result.returncode == 6
    assert result.stderr == ('ERROR: Unable to locate any configuration file. Cannot load '
                             'application glance-api\n')
    assert not site.run_dir.exists()


def test_missing_confpath_is_an_error_not_a_silent_search(site):
    started = site.control('--pid-file', 'run/', 'api', 'start', 'glance-ap.conf')
    assert started.returncode == 6
    assert started.stderr == ('ERROR: configuration file %s not found; glance-api not '
                              'started\n' % (site.root / 'glance-ap.conf'))


# -- --await-child and --capture-output ---------------------------------------------


def test_await_child_exits_with_the_status_of_a_server_that_died(site):
    site.write('glance-api', {'glance_store': {'default_store': 'nowhere'}})

    started = site.control('--await-child', '20', '--pid-file', 'run/', 'api', 'start',
                           'glance-api.conf')

    assert started.returncode == 1  # glance-api's own status for a bad store
    assert started.stderr.splitlines()[-1].endswith(') exited: status 1')
    assert site.pid('glance-api') is None  # no stale pid file left behind


def test_await_child_of_a_server_that_keeps_running(site):
    started = site.control('--await-child', '1', '--pid-file', 'run/', 'api', 'start',
                           'glance-api.conf')
    assert started.returncode == 0
    assert daemon.is_running(site.pid('glance-api'), 'glance-api')


def test_capture_output_goes_to_syslog(site):
    # The real logger, pointed at this test's syslog socket instead of /dev/log.
    sock_path = str(site.root / 'syslog.sock')
    bin_dir = site.root / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'logger').write_text('#!/bin/sh\nexec %s --socket %s "$@"\n'
                                    % (shutil.which('logger'), sock_path))
    (bin_dir / 'logger').chmod(0o755)
    syslog = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    syslog.bind(sock_path)
    syslog.settimeout(30)
    site.write('glance-api', drop=['log_file'])  # oslo.log writes to stdout then
    try:
        started = site.control(
            '--capture-output', '--pid-file', 'run/', 'api', 'start', 'glance-api.conf',
            env={'PATH': '%s%s%s' % (bin_dir, os.pathsep, os.environ['PATH'])})
        assert started.returncode == 0, started.stderr
        pid = site.pid('glance-api')
        site.wait_healthy('glance-api')
        tag = 'glance-api[%d]:' % pid
        while True:
            message = syslog.recv(65536).decode('utf-8', 'replace')
            if tag in message and 'glance-api listening on %s' % site.url(
                    'glance-api') in message:
                break
    finally:
        syslog.close()
