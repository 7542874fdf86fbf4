"""glance-control's rules, on pid files in temp dirs and tiny real processes: the full
programs are driven in tests/functional/test_control.py."""
import os
import signal
import subprocess
import sys

import pytest

from glance_lite import control
from glance_lite.common import pidfile
from tests.functional.fixtures import wait_for

# A stand-in for glance-api: the command-line name is what glance-control checks.
# argv: READY_PATH [ignore-term]
FAKE_API = """\
#!{python}
import signal, sys, time
if 'ignore-term' in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(sys.argv[1], 'w').close()
time.sleep(60)
"""


@pytest.fixture
def target(tmp_path):
    return control.Target('glance-api', str(tmp_path / 'run' / 'glance-api.pid'))


@pytest.fixture
def fake_api(tmp_path, target):
    """``fake_api(*args)``: a running process named glance-api, leading its own process
    group, with its pid in ``target``'s pid file."""
    program = tmp_path / 'bin' / 'glance-api'
    program.parent.mkdir()
    program.write_text(FAKE_API.format(python=sys.executable))
    program.chmod(0o755)
    children = []

    def start(*args):
        ready = str(tmp_path / ('ready%d' % len(children)))
        child = subprocess.Popen([str(program), ready] + list(args), start_new_session=True)
        children.append(child)
        wait_for(lambda: os.path.exists(ready), message='the fake glance-api')
        pidfile.PidFile(target.pid_path).write(child.pid)
        return child

    yield start
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def test_respawn_decisions():
    decide = control.respawn_decision
    assert decide(None, 10, 30.0, -9) == control.DELIBERATE  # pid file removed by stop
    assert decide(11, 10, 30.0, -9) == control.DELIBERATE  # restarted by someone else
    assert decide(10, 10, 0.5, -9) == control.BOUNCING  # died within a second
    assert decide(10, 10, 0.5, 1) == control.EXITED  # its status says more
    assert decide(10, 10, 30.0, 0) == control.EXITED  # done
    assert decide(10, 10, 1.5, 1) == control.EXITED  # refused to run
    assert decide(10, 10, 30.0, -9) == control.RESPAWN  # kill -9, OOM killer
    assert decide(10, 10, 30.0, -11) == control.RESPAWN  # crashed


@pytest.mark.parametrize('returncode, status, description', [
    (0, 0, 'status 0'), (3, 3, 'status 3'), (-9, 137, 'killed by SIGKILL'),
    (-15, 143, 'killed by SIGTERM')])
def test_child_exit_as_a_shell_reports_it(returncode, status, description):
    assert control.exit_status(returncode) == status
    assert control.describe_exit(returncode) == description


def test_status_of_a_running_server(capsys, target, fake_api):
    child = fake_api()
    assert control.Controller(control.Options()).status(target) == control.EXIT_OK
    assert capsys.readouterr().out == 'glance-api (pid %d) is running...\n' % child.pid


def test_status_without_a_pid_file(capsys, target):
    assert control.Controller(control.Options()).status(target) == control.EXIT_STOPPED
    assert capsys.readouterr().out == 'glance-api is stopped\n'


def test_pid_file_naming_a_stranger_is_stale_and_the_stranger_left_alone(capsys, target):
    pidfile.PidFile(target.pid_path).write(os.getpid())  # this test, not a glance-api
    controller = control.Controller(control.Options())

    assert controller.status(target) == control.EXIT_FAILED
    assert controller.stop(target) == control.EXIT_OK

    assert capsys.readouterr().out.splitlines() == [
        'glance-api is not running: stale pid file %s (pid %d is not running)'
        % (target.pid_path, os.getpid()),
        'Removing stale pid file %s (pid %d is not running)' % (target.pid_path, os.getpid()),
        'glance-api is already stopped']
    assert not os.path.exists(target.pid_path)


def test_pid_file_without_a_pid_is_stale(capsys, target):
    os.makedirs(os.path.dirname(target.pid_path))
    with open(target.pid_path, 'w') as f:
        f.write('garbage\n')
    assert control.Controller(control.Options()).status(target) == control.EXIT_FAILED
    assert 'stale pid file %s (it holds no pid)' % target.pid_path in capsys.readouterr().out


def test_stop_waits_for_the_end(capsys, target, fake_api):
    child = fake_api()
    assert control.Controller(control.Options()).stop(target) == control.EXIT_OK

    assert child.poll() == -signal.SIGTERM  # already ended when stop returned
    assert capsys.readouterr().out == 'Stopping glance-api  pid: %d  signal: 15\n' % child.pid
    assert not os.path.exists(target.pid_path)


def test_stop_kills_what_ignores_sigterm_after_the_grace_period(capsys, target, fake_api):
    child = fake_api('ignore-term')
    assert control.Controller(control.Options()).stop(target, grace=0.3) == control.EXIT_OK

    assert child.poll() == -signal.SIGKILL
    assert capsys.readouterr().out.splitlines() == [
        'Stopping glance-api  pid: %d  signal: 15' % child.pid,
        'glance-api (pid %d) still running after 0.3 seconds' % child.pid,
        'Stopping glance-api  pid: %d  signal: 9' % child.pid]


def test_stop_without_a_pid_file(capsys, target):
    assert control.Controller(control.Options()).stop(target) == control.EXIT_OK
    assert capsys.readouterr().out == 'glance-api is already stopped\n'


def test_reload_sends_sighup(capsys, target, fake_api):
    child = fake_api()
    assert control.Controller(control.Options()).reload(target) == control.EXIT_OK
    assert capsys.readouterr().out == \
        'Reloading glance-api (pid %d) with signal(1)\n' % child.pid
    assert child.wait(timeout=10) == -signal.SIGHUP  # the fake does not handle it


def test_reload_of_a_stopped_server(capsys, target):
    assert control.Controller(control.Options()).reload(target) == control.EXIT_NOT_RUNNING
    assert capsys.readouterr().err == 'Server glance-api is stopped\n'


def test_reload_of_the_scrubber_is_not_supported(capsys, tmp_path):
    scrubber = control.Target('glance-scrubber', str(tmp_path / 'glance-scrubber.pid'))
    assert control.Controller(control.Options()).reload(scrubber) == \
        control.EXIT_UNSUPPORTED
    assert capsys.readouterr().err == 'Reload of glance-scrubber not supported\n'


def test_start_with_a_missing_confpath_starts_nothing(capsys, tmp_path, target):
    missing = str(tmp_path / 'nowhere.conf')
    target = control.Target(target.name, target.pid_path, missing)
    assert control.Controller(control.Options()).start(target) == \
        control.EXIT_NOT_CONFIGURED
    assert capsys.readouterr().err == \
        'ERROR: configuration file %s not found; glance-api not started\n' % missing
    assert not os.path.exists(os.path.dirname(target.pid_path))


def test_start_with_no_configuration_to_find(capsys, tmp_path, target, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert control.Controller(control.Options()).start(target) == \
        control.EXIT_NOT_CONFIGURED
    assert capsys.readouterr().err == ('ERROR: Unable to locate any configuration file. '
                                       'Cannot load application glance-api\n')


@pytest.mark.parametrize('found', ['glance-api.conf', 'glance.conf', 'glance-api-paste.ini'])
def test_what_counts_as_a_configuration_to_find(tmp_path, monkeypatch, found):
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    monkeypatch.chdir(tmp_path)
    assert not control.finds_configuration('glance-api')
    (tmp_path / found).write_text('')
    assert control.finds_configuration('glance-api')


def test_an_unreadable_pid_file_is_reported_not_a_traceback(capsys, target):
    os.makedirs(target.pid_path)  # a directory where the pid file should be
    assert control.Controller(control.Options()).run('status', [target]) == \
        control.EXIT_FAILED
    assert capsys.readouterr().err == "glance-api: [Errno 21] Is a directory: '%s'\n" \
        % target.pid_path
