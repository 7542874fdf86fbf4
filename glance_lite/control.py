"""What glance-control does to a server: start, status, stop, shutdown, restart,
reload, and keeping started servers alive with ``--respawn``.

``cmd/control.py`` parses the command line into :class:`Target` and :class:`Options`
and calls :meth:`Controller.run`.  Messages are those of the seed document
(controlling-servers): ``Starting glance-api with /abs/glance-api.conf``,
``Stopping glance-registry  pid: 17602  signal: 15``, ``Reloading glance-api (pid
18506) with signal(1)``.  Where Glance's glance-control had plain bugs this one does
the right thing (each place says so): ``stop`` waits for the process to end, a pid file
that cannot be written refuses the start instead of hiding the pid in a temp dir,
``shutdown`` does not send SIGHUP (which makes the servers reload, not stop), and a pid
whose process is not the named server is never signalled.

Exit statuses follow the LSB init-script conventions; see :data:`EXIT_STATUSES`.
"""
import dataclasses
import errno
import os
import signal
import subprocess
import sys
import time

from glance_lite.common import config, daemon, pidfile

EXIT_OK = 0
EXIT_FAILED = 1          # also ``status``: not running, but its pid file is left (stale)
EXIT_USAGE = 2
EXIT_STOPPED = 3         # ``status``: not running
EXIT_UNSUPPORTED = 3     # ``reload`` of glance-scrubber
EXIT_NO_PID_FILE = 4     # the pid file cannot be created (insufficient privilege)
EXIT_NOT_INSTALLED = 5   # the server's console script (or ``logger``) is not found
EXIT_NOT_CONFIGURED = 6  # CONFPATH missing, or no configuration file to be found
EXIT_NOT_RUNNING = 7     # ``reload`` of a server that is not running

EXIT_STATUSES = """\
exit status (with several servers, the highest):
  0  done: started (or already running), stopped (or already stopped), reload
     signal sent; status: running
  1  failed (e.g. could not launch, would not die); status: stale pid file
  2  invalid arguments
  3  status: stopped; reload: not supported by that server
  4  the pid file cannot be created (use --pid-file)
  5  the server's program (or logger, for --capture-output) is not installed
  6  CONFPATH does not exist, or no configuration file can be found
  7  reload: the server is not running
  with --await-child, a server that exits within DELAY: its exit status
  (128 + N when killed by signal N)"""

RELOADABLE = ('glance-api', 'glance-registry')
MAX_DESCRIPTORS = 32768
# Glance also set RLIMIT_DATA to 2 GiB, which lowers the usual "unlimited": not here,
# the servers stream image data in bounded chunks.
# glance-control's own grace for `stop` before SIGKILL (Glance's figure).
STOP_GRACE_SECONDS = 15
# After SIGKILL, the time for the kernel to take the process away.
KILL_WAIT_SECONDS = 5
# A child that dies sooner than this after it was started is "bouncing": respawning
# it would only loop (the seed's rule).
BOUNCE_SECONDS = 1.0

RUNNING, STOPPED, STALE = 'running', 'stopped', 'stale'


def _say(message):
    print(message, flush=True)


def _complain(message):
    print(message, file=sys.stderr, flush=True)


def shutdown_grace_seconds():
    """How long ``shutdown`` lets a server finish its in-flight requests: the servers'
    own drain limit plus the time their master gives stragglers."""
    from glance_lite.common import server  # only here: it imports eventlet
    return server.GRACEFUL_SHUTDOWN_SECONDS + 10


def exit_status(returncode):
    """A child's ``Popen.returncode`` as a shell would report it."""
    return 128 - returncode if returncode < 0 else returncode


@dataclasses.dataclass(frozen=True)
class Target:
    """One server as the command line names it.

    :param conf_path: absolute CONFPATH, passed as ``--config-file``; None: the
        server searches its configuration itself.
    """

    name: str
    pid_path: str
    conf_path: str | None = None


@dataclasses.dataclass(frozen=True)
class Options:
    capture_output: bool = False
    await_child: float = 0
    respawn: bool = False


def state_of(target):
    """:returns: ``(RUNNING | STOPPED | STALE, pid or None)`` from the pid file."""
    try:
        pid = pidfile.PidFile(target.pid_path).read()
    except ValueError:
        return STALE, None
    if pid is None:
        return STOPPED, None
    return (RUNNING if daemon.is_running(pid, target.name) else STALE), pid


def finds_configuration(server):
    """Whether ``server`` started without ``--config-file`` finds something to run
    with: a configuration file or its paste file in the search directories."""
    if config.find_config_files(server):
        return True
    return any(os.path.isfile(os.path.join(d, '%s-paste.ini' % server))
               for d in config.search_dirs())


class Controller:
    """Runs one command on some servers; remembers the children it started."""

    def __init__(self, options):
        self.options = options
        self.started = []  # [(Target, Popen)]

    def run(self, command, targets):
        """:returns: the exit status (the highest over ``targets``)."""
        action = getattr(self, command.replace('-', '_'))
        code = max(self._act(action, target) for target in targets)
        if self.started and self.options.await_child:
            code = max(code, self.await_children(self.options.await_child))
        if self.started and self.options.respawn:
            code = max(code, Supervisor(self).run(self.started))
        return code

    @staticmethod
    def _act(action, target):
        try:
            return action(target)
        except OSError as e:  # e.g. a pid file this user may not read
            _complain('%s: %s' % (target.name, e))
            return EXIT_NO_PID_FILE if isinstance(e, PermissionError) else EXIT_FAILED

    # -- commands --------------------------------------------------------------

    def start(self, target):
        state, pid = state_of(target)
        if state == RUNNING:
            _say('%s appears to already be running: %s' % (target.name, target.pid_path))
            return EXIT_OK
        if state == STALE:
            _say('Removing stale pid file %s' % target.pid_path)
            pidfile.PidFile(target.pid_path).remove()
        code, child = self.launch(target, 'Starting')
        if child is not None:
            self.started.append((target, child))
        return code

    def status(self, target):
        state, pid = state_of(target)
        if state == RUNNING:
            _say('%s (pid %d) is running...' % (target.name, pid))
            return EXIT_OK
        if state == STALE:
            _say('%s is not running: stale pid file %s%s'
                 % (target.name, target.pid_path, _naming(pid)))
            return EXIT_FAILED
        _say('%s is stopped' % target.name)
        return EXIT_STOPPED

    def stop(self, target, grace=STOP_GRACE_SECONDS):
        """SIGTERM, wait for the end; after ``grace`` seconds SIGKILL the process and
        its workers.  (Glance's stop never waited: the seed's stop does.)"""
        state, pid = state_of(target)
        pid_file = pidfile.PidFile(target.pid_path)
        if state == STALE:
            _say('Removing stale pid file %s%s' % (target.pid_path, _naming(pid)))
            pid_file.remove()
        if state != RUNNING:
            _say('%s is already stopped' % target.name)
            return EXIT_OK
        # First, so that a --respawn glance-control sees the stop was deliberate.
        pid_file.remove()
        _say('Stopping %s  pid: %d  signal: %d' % (target.name, pid, signal.SIGTERM))
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            _say('Process %d not running' % pid)
            return EXIT_OK
        if daemon.wait_until_gone(pid, grace):
            return EXIT_OK
        _say('%s (pid %d) still running after %g seconds' % (target.name, pid, grace))
        _say('Stopping %s  pid: %d  signal: %d' % (target.name, pid, signal.SIGKILL))
        daemon.kill_group(pid)
        if daemon.wait_until_gone(pid, KILL_WAIT_SECONDS):
            return EXIT_OK
        _complain('Waited %g seconds for pid %d (%s) to die; giving up'
                  % (grace + KILL_WAIT_SECONDS, pid, target.pid_path))
        try:
            pid_file.write(pid)  # it still runs: keep it reachable by status and stop
        except OSError:
            pass
        return EXIT_FAILED

    def shutdown(self, target):
        """A graceful stop: in-flight requests finish (the servers drain on SIGTERM),
        however long the server's own drain limit allows.  Glance sent SIGHUP here,
        which its servers (and ours) take as "reload"."""
        return self.stop(target, grace=shutdown_grace_seconds())

    def restart(self, target):
        code = self.stop(target)
        if code != EXIT_OK:
            return code
        return self.start(target)

    def reload(self, target):
        if target.name not in RELOADABLE:
            _complain('Reload of %s not supported' % target.name)
            return EXIT_UNSUPPORTED
        state, pid = state_of(target)
        if state != RUNNING:
            detail = ' (stale pid file %s)' % target.pid_path if state == STALE else ''
            _complain('Server %s is stopped%s' % (target.name, detail))
            return EXIT_NOT_RUNNING
        _say('Reloading %s (pid %d) with signal(%d)' % (target.name, pid, signal.SIGHUP))
        try:
            os.kill(pid, signal.SIGHUP)
        except ProcessLookupError:
            _complain('Process %d not running' % pid)
            return EXIT_NOT_RUNNING
        return EXIT_OK

    def force_reload(self, target):
        """LSB's force-reload: reload where the server can, restart where it cannot."""
        if target.name in RELOADABLE:
            return self.reload(target)
        return self.restart(target)

    # -- starting --------------------------------------------------------------

    def launch(self, target, verb):
        """Start ``target`` and write its pid file; :returns: ``(exit status, Popen or
        None)``.  Everything that can be checked beforehand is, so a refused start
        leaves no process behind."""
        program = daemon.find_program(target.name)
        if program is None:
            _complain('unable to launch %s. Got error: %s is not installed beside %s '
                      'nor on PATH' % (target.name, target.name, sys.executable))
            return EXIT_NOT_INSTALLED, None
        argv = [program]
        if target.conf_path is not None:
            # Glance silently ignored a CONFPATH that does not exist.
            if not os.path.isfile(target.conf_path):
                _complain('ERROR: configuration file %s not found; %s not started'
                          % (target.conf_path, target.name))
                return EXIT_NOT_CONFIGURED, None
            argv += ['--config-file', target.conf_path]
        elif not finds_configuration(target.name):
            _complain('ERROR: Unable to locate any configuration file. Cannot load '
                      'application %s' % target.name)
            return EXIT_NOT_CONFIGURED, None
        if self.options.capture_output and daemon.find_logger() is None:
            _complain('Unable to capture the output of %s: the logger command is not '
                      'installed; %s not started' % (target.name, target.name))
            return EXIT_NOT_INSTALLED, None
        try:
            reservation = pidfile.PidFile(target.pid_path).reserve()
        except OSError as e:
            # Glance fell back to a pid file in a temp dir: the server then ran where
            # no later status, stop or reload could find it.
            hint = ('  Running as non-root?'
                    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else '')
            _complain('Unable to create pid file %s: %s.%s\n%s not started; choose a '
                      'writable location with --pid-file.'
                      % (target.pid_path, e.strerror or e, hint, target.name))
            return EXIT_NO_PID_FILE, None
        if not daemon.raise_fd_limit(MAX_DESCRIPTORS):
            _say('Unable to increase file descriptor limit.  Running as non-root?')
        if target.conf_path is not None:
            _say('%s %s with %s' % (verb, target.name, target.conf_path))
        else:
            _say('%s %s' % (verb, target.name))
        syslog_tag = target.name if self.options.capture_output else None
        try:
            child = daemon.launch(argv, syslog_tag=syslog_tag)
        except OSError as e:
            reservation.cancel()
            _complain('unable to launch %s. Got error: %s' % (target.name, e))
            return EXIT_FAILED, None
        try:
            reservation.commit(child.pid)
        except OSError as e:
            daemon.kill_group(child.pid)
            child.wait()
            _complain('Unable to write pid file %s: %s; %s stopped again'
                      % (target.pid_path, e, target.name))
            return EXIT_NO_PID_FILE, None
        return EXIT_OK, child

    def await_children(self, delay):
        """``--await-child``: watch the started children for ``delay`` seconds.

        :returns: the highest exit status of those that ended (their pid files are
            removed), else 0.
        """
        deadline = time.monotonic() + delay
        code = EXIT_OK
        for target, child in self.started:
            try:
                returncode = child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                continue
            _complain('%s (pid %d) exited: %s' % (target.name, child.pid,
                                                  describe_exit(returncode)))
            _forget_pid(target, child.pid)
            code = max(code, exit_status(returncode))
        return code


def _naming(pid):
    return ' (pid %d is not running)' % pid if pid else ' (it holds no pid)'


def _forget_pid(target, pid):
    """Remove the pid file if it still names ``pid`` (a process that has ended)."""
    pid_file = pidfile.PidFile(target.pid_path)
    try:
        if pid_file.read() == pid:
            pid_file.remove()
    except ValueError:
        pass


def describe_exit(returncode):
    if returncode < 0:
        try:
            return 'killed by %s' % signal.Signals(-returncode).name
        except ValueError:
            return 'killed by signal %d' % -returncode
    return 'status %d' % returncode


# What --respawn does when a child ends.
DELIBERATE, BOUNCING, EXITED, RESPAWN = 'deliberate', 'bouncing', 'exited', 'respawn'


def respawn_decision(pid_in_file, pid, lived_seconds, returncode):
    """Whether a supervised child that ended is started again.

    :param pid_in_file: what its pid file holds now (None: no file, or no pid in it).
    :param returncode: as ``Popen.returncode`` (negative: killed by that signal).
    :returns: DELIBERATE (its pid file is gone or names another process: someone
        stopped or restarted it), EXITED (it exited by itself), BOUNCING (a signal
        killed it less than :data:`BOUNCE_SECONDS` after its start) or RESPAWN (a
        signal killed it later: kill -9, the OOM killer, a crash).

    Glance respawned a child that exited by itself too.  But such a child would only
    do the same again: with status 0 it was done (a one-pass glance-scrubber), with
    another it refused to run (a configuration error, which our servers find after
    the second Python takes to load them, so the one-second rule alone never stops
    that loop).
    """
    if pid_in_file != pid:
        return DELIBERATE
    if returncode >= 0:
        # Its own exit status says more than how long it lived.
        return EXITED
    if lived_seconds < BOUNCE_SECONDS:
        return BOUNCING
    return RESPAWN


class Supervisor:
    """``--respawn``: stay in the foreground, start again the children that die
    unexpectedly (see :func:`respawn_decision`), and return once none is left: 0, or
    1 if one bounced or exited with an error status, or the status of a start that
    failed."""

    def __init__(self, controller):
        self.controller = controller
        self.children = {}  # pid -> (Target, started at)

    def run(self, started):
        for target, child in started:
            self.children[child.pid] = (target, time.monotonic())
        code = EXIT_OK
        while self.children:
            try:
                pid, wait_status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            if pid not in self.children:
                continue  # a logger of --capture-output
            target, started_at = self.children.pop(pid)
            code = max(code, self._ended(target, pid, time.monotonic() - started_at,
                                         os.waitstatus_to_exitcode(wait_status)))
        return code

    def _ended(self, target, pid, lived, returncode):
        try:
            pid_in_file = pidfile.PidFile(target.pid_path).read()
        except ValueError:
            pid_in_file = None
        decision = respawn_decision(pid_in_file, pid, lived, returncode)
        if decision == DELIBERATE:
            _say('Suppressed respawn as %s was deliberately stopped.' % target.name)
            return EXIT_OK
        _forget_pid(target, pid)
        if decision == BOUNCING:
            _say('Suppressed respawn as %s was bouncing.' % target.name)
            return EXIT_FAILED
        if decision == EXITED:
            _say('Suppressed respawn as %s exited with status %d.' % (target.name, returncode))
            return EXIT_OK if returncode == 0 else EXIT_FAILED
        _say('%s (pid %d) died: %s' % (target.name, pid, describe_exit(returncode)))
        code, child = self.controller.launch(target, 'Respawning')
        if child is None:
            return code
        self.children[child.pid] = (target, time.monotonic())
        return EXIT_OK
