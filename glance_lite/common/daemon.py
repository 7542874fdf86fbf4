"""Processes glance-control starts and stops: launch one detached, tell whether a pid
still is that program, signal it and wait for it to end.

Linux only (it reads ``/proc``), like the servers' own process handling.
"""
import os
import resource
import shutil
import signal
import subprocess
import sys
import time

POLL_SECONDS = 0.05


def find_program(name):
    """Path of the console script ``name``: the one installed beside the running
    interpreter (glance-control's own installation) first, else the first on PATH;
    None when there is neither."""
    return shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name)


def _stat_fields(pid):
    """Fields of ``/proc/<pid>/stat`` after the command name, or None if no process."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    return stat[stat.rindex(')') + 2:].split()


def _command_line(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return [arg.decode('utf-8', 'replace') for arg in f.read().split(b'\0')]
    except OSError:
        return []


def is_alive(pid):
    """True while process ``pid`` exists and has not exited.  A zombie has exited: only
    its parent has not collected it yet."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != 'Z'


def is_running(pid, program):
    """True while ``pid`` is a live process of the console script ``program``.

    A live process whose command line does not start with ``program`` (run directly or
    through its interpreter) does not count: after a crash or a reboot the pid in an
    old pid file may belong to anything, and glance-control must never signal a
    stranger.
    """
    return is_alive(pid) and any(os.path.basename(arg) == program
                                 for arg in _command_line(pid)[:2])


def wait_until_gone(pid, timeout):
    """Poll until process ``pid`` has exited; :returns: False on timeout.

    ``pid`` need not be our child, so there is nothing to wait on but ``/proc``.  (Not
    :func:`is_running`: an exiting process loses its command line before it has
    closed its files, the listening socket among them.)
    """
    deadline = time.monotonic() + timeout
    while is_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def kill_group(pid):
    """SIGKILL ``pid`` and, when it leads a process group (as everything
    :func:`launch` starts does), every process of that group: the server's workers
    must not outlive it holding its port."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def raise_fd_limit(wanted):
    """Raise this process's open-files limit to at least ``wanted``, for the servers
    started from it to inherit.

    :returns: False when it stays below ``wanted`` (it is then raised to the hard
        limit: only a privileged process may raise that).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return True
    new_hard = hard if hard == resource.RLIM_INFINITY else max(hard, wanted)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, new_hard))
        return True
    except (ValueError, OSError):
        pass
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass
    return False


def find_logger():
    """The ``logger`` command (util-linux) that forwards output to syslog, or None."""
    return shutil.which('logger')


def launch(argv, syslog_tag=None):
    """Start ``argv`` as a daemon: in a session of its own (no controlling terminal; it
    leads a process group that its workers join), stdin from /dev/null, stdout and
    stderr to /dev/null or, with ``syslog_tag``, to syslog through :func:`find_logger`
    tagged ``<syslog_tag>[<pid>]``.  It starts with SIGHUP ignored, as under nohup.

    Call it from the main thread (it sets a signal disposition).

    :returns: the :class:`subprocess.Popen` of the program.
    :raises OSError: the program (or logger) cannot be executed.
    """
    # An ignored signal stays ignored across exec, until the program installs its own
    # handler.  So a reload sent while a server is still loading (a second or two of
    # imports) is dropped, which is harmless since it is about to read its
    # configuration anyway; by default SIGHUP would kill it.
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        return _launch(argv, syslog_tag)
    finally:
        signal.signal(signal.SIGHUP, previous)


def _launch(argv, syslog_tag):
    if syslog_tag is None:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    logger = find_logger()
    if logger is None:
        raise FileNotFoundError('the logger command is not installed')
    read_fd, write_fd = os.pipe()
    try:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=write_fd,
                                 stderr=write_fd, start_new_session=True)
    except OSError:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    # The program starts first so that its pid can go into the tag; what it writes
    # meanwhile waits in the pipe.
    try:
        subprocess.Popen([logger, '-t', '%s[%d]' % (syslog_tag, child.pid)], stdin=read_fd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except OSError:
        kill_group(child.pid)
        child.wait()
        raise
    finally:
        os.close(read_fd)
    return child
