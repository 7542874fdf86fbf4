"""Launching, recognising and killing daemons, on real (tiny) processes."""
import os
import resource
import signal
import subprocess
import sys
import textwrap

import pytest

from glance_lite.common import daemon
from tests.functional.fixtures import wait_for

# argv: READY_PATH [ignore-term] [fork]; writes READY_PATH once its signals are set up
# (with "fork": "<pid> <worker pid>"), says hello on stdout and stderr, then sleeps.
FAKE_SERVER = """\
#!{python}
import os, signal, sys, time
if 'ignore-term' in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
pids = [os.getpid()]
if 'fork' in sys.argv:
    worker = os.fork()
    if worker == 0:
        time.sleep(60)
        os._exit(0)
    pids.append(worker)
print('hello on stdout', flush=True)
print('hello on stderr', file=sys.stderr, flush=True)
with open(sys.argv[1] + '.tmp', 'w') as f:
    f.write(' '.join(map(str, pids)))
os.rename(sys.argv[1] + '.tmp', sys.argv[1])
time.sleep(60)
"""


def write_program(directory, name, text):
    path = directory / name
    path.write_text(text)
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def fake_server(tmp_path):
    """``(program path, ready path)`` of a fake server called ``glance-fake``."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    program = write_program(bin_dir, 'glance-fake', FAKE_SERVER.format(python=sys.executable))
    return program, str(tmp_path / 'ready')


@pytest.fixture
def reaped():
    """Children to kill and collect at teardown."""
    children = []
    yield children
    for child in children:
        daemon.kill_group(child.pid)
        child.wait()


def wait_ready(ready):
    wait_for(lambda: os.path.exists(ready), message='the fake server to be ready')
    with open(ready) as f:
        return [int(pid) for pid in f.read().split()]


def fd_target(pid, fd):
    return os.readlink('/proc/%d/fd/%d' % (pid, fd))


def test_launch_detaches_the_program(fake_server, reaped):
    program, ready = fake_server
    child = daemon.launch([program, ready])
    reaped.append(child)
    wait_ready(ready)

    assert os.getsid(child.pid) == child.pid  # no controlling terminal of ours
    assert os.getpgid(child.pid) == child.pid
    assert [fd_target(child.pid, fd) for fd in (0, 1, 2)] == ['/dev/null'] * 3


def ignored_signals(pid):
    with open('/proc/%d/status' % pid) as f:
        mask = next(int(line.split()[1], 16) for line in f if line.startswith('SigIgn:'))
    return {signum for signum in range(1, 64) if mask & (1 << (signum - 1))}


def test_launch_starts_the_program_with_sighup_ignored(fake_server, reaped):
    program, ready = fake_server
    handler = signal.getsignal(signal.SIGHUP)
    child = daemon.launch([program, ready])
    reaped.append(child)
    wait_ready(ready)

    assert signal.SIGHUP in ignored_signals(child.pid)  # until it installs a handler
    os.kill(child.pid, signal.SIGHUP)
    assert daemon.is_running(child.pid, 'glance-fake')
    assert signal.getsignal(signal.SIGHUP) == handler  # ours is back


def test_launch_with_a_syslog_tag_pipes_output_to_logger(fake_server, reaped, tmp_path,
                                                         monkeypatch):
    program, ready = fake_server
    logged = tmp_path / 'logged'
    bin_dir = tmp_path / 'loggerbin'
    bin_dir.mkdir()
    write_program(bin_dir, 'logger', textwrap.dedent("""\
        #!/bin/sh
        echo "args: $*" > {out}.tmp
        cat >> {out}.tmp
        mv {out}.tmp {out}
        """).format(out=logged))
    monkeypatch.setenv('PATH', '%s%s%s' % (bin_dir, os.pathsep, os.environ['PATH']))

    child = daemon.launch([program, ready], syslog_tag='glance-fake')
    reaped.append(child)
    wait_ready(ready)
    os.kill(child.pid, signal.SIGTERM)  # its end closes the pipe: logger finishes
    child.wait()

    wait_for(logged.exists, message='logger to finish')
    lines = logged.read_text().splitlines()
    assert lines[0] == 'args: -t glance-fake[%d]' % child.pid
    assert sorted(lines[1:]) == ['hello on stderr', 'hello on stdout']


def test_launch_of_a_missing_program_raises():
    with pytest.raises(OSError):
        daemon.launch(['/nonexistent/glance-api'])


def test_a_process_is_running_only_under_its_own_name(fake_server, reaped):
    program, ready = fake_server
    child = daemon.launch([program, ready])
    reaped.append(child)
    wait_ready(ready)

    assert daemon.is_running(child.pid, 'glance-fake')
    # A pid file that names this pid for glance-api is stale: never signal a stranger.
    assert not daemon.is_running(child.pid, 'glance-api')


def test_a_zombie_is_not_alive(fake_server):
    program, ready = fake_server
    child = daemon.launch([program, ready])
    wait_ready(ready)
    os.kill(child.pid, signal.SIGKILL)

    wait_for(lambda: not daemon.is_alive(child.pid), message='the end')
    assert not daemon.is_running(child.pid, 'glance-fake')
    with open('/proc/%d/stat' % child.pid) as f:
        assert f.read().split(') ')[1][0] == 'Z'  # not collected yet: still a zombie
    child.wait()


def test_wait_until_gone(fake_server):
    program, ready = fake_server
    child = daemon.launch([program, ready])
    wait_ready(ready)

    assert not daemon.wait_until_gone(child.pid, 0.2)
    os.kill(child.pid, signal.SIGTERM)
    assert daemon.wait_until_gone(child.pid, 10)
    child.wait()


def test_kill_group_takes_the_workers_along(fake_server):
    program, ready = fake_server
    child = daemon.launch([program, ready, 'ignore-term', 'fork'])
    master, worker = wait_ready(ready)

    daemon.kill_group(master)

    assert child.wait(timeout=10) == -signal.SIGKILL
    wait_for(lambda: not daemon.is_alive(worker), message='the worker')


def test_kill_group_of_a_process_that_leads_no_group(fake_server):
    program, ready = fake_server
    child = subprocess.Popen([program, ready], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # in the test's own group
    wait_ready(ready)

    daemon.kill_group(child.pid)  # must not kill the test's own group

    assert child.wait(timeout=10) == -signal.SIGKILL


def test_find_program_prefers_the_interpreters_installation(tmp_path, monkeypatch):
    write_program(tmp_path, 'glance-api', '#!/bin/sh\n')
    monkeypatch.setenv('PATH', str(tmp_path))
    assert daemon.find_program('glance-api') == os.path.join(
        os.path.dirname(sys.executable), 'glance-api')
    assert daemon.find_program('glance-nothing') is None


def test_raise_fd_limit_never_lowers_it():
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert daemon.raise_fd_limit(1)
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == before
