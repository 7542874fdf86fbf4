"""Pid files of the servers glance-control starts: where they live and what they hold.

A pid file holds ``<pid>\\n``.  It is written atomically (a temporary file in the same
directory, renamed over it), so a concurrent ``status`` never reads half a file; and
its place is claimed *before* the server is started (:meth:`PidFile.reserve`), because a
server whose pid file cannot be written could not be stopped or reloaded later.
"""
import errno
import os
import tempfile

DEFAULT_DIR = '/var/run/glance'


def names_directory(option):
    """True when a ``--pid-file`` value means "a directory": it exists as one, or is
    written with a trailing slash."""
    return option.endswith(os.sep) or os.path.isdir(option)


def resolve(option, server):
    """The absolute pid file path of ``server`` for a ``--pid-file`` value.

    :param option: the ``--pid-file`` value; None or empty: ``/var/run/glance/<server>.pid``.
        A directory (see :func:`names_directory`) holds ``<server>.pid``.
    """
    if not option:
        return os.path.join(DEFAULT_DIR, '%s.pid' % server)
    if names_directory(option):
        return os.path.join(os.path.abspath(option), '%s.pid' % server)
    return os.path.abspath(option)


class PidFile:
    def __init__(self, path):
        self.path = path

    def read(self):
        """:returns: the pid in the file, or None when there is no file.
        :raises ValueError: the file exists but holds no pid."""
        try:
            with open(self.path) as f:
                text = f.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
        pid = int(text.strip())
        if pid <= 0:
            raise ValueError('not a pid: %r' % text)
        return pid

    def remove(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def reserve(self):
        """Claim the pid file's place: create its directory if needed and a temporary
        file beside it.

        :returns: a :class:`Reservation`; ``commit(pid)`` makes it the pid file.
        :raises OSError: the directory or the file cannot be created.
        """
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, exist_ok=True)
        except FileExistsError:
            # makedirs' word for "there is a file where the directory should be"
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), directory)
        fd, temp_path = tempfile.mkstemp(dir=directory,
                                         prefix='.%s.' % os.path.basename(self.path))
        return Reservation(fd, temp_path, self.path)

    def write(self, pid):
        """Write ``pid`` (atomically).  :raises OSError: as :meth:`reserve`."""
        self.reserve().commit(pid)


class Reservation:
    """A temporary file that becomes the pid file on :meth:`commit`."""

    def __init__(self, fd, temp_path, path):
        self._fd = fd
        self._temp_path = temp_path
        self.path = path

    def commit(self, pid):
        """Write ``pid`` and rename the file into place.  :raises OSError: then
        nothing is left behind."""
        try:
            os.write(self._fd, b'%d\n' % pid)
            os.fchmod(self._fd, 0o644)  # status and stop work for every user
            os.close(self._fd)
            self._fd = None
            os.replace(self._temp_path, self.path)
        except OSError:
            self.cancel()
            raise

    def cancel(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        try:
            os.unlink(self._temp_path)
        except FileNotFoundError:
            pass
