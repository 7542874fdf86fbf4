"""The file store: image data as plain files named by image id in local (or mounted)
directories; location URIs are ``file:///<directory>/<image id>``."""
import errno
import json
import logging
import os
import re
import secrets
import stat
import time

from oslo_config import cfg

from glance_lite.common import exception, offload
from glance_lite.store import base
from glance_lite.store import location

LOG = logging.getLogger(__name__)

# Data is written to a hidden temporary name in the target directory and linked to
# its final name (the image id) only once complete.  Image ids never start with a
# dot (see _IMAGE_NAME), so a temporary file can never be taken for image data.
TEMP_SUFFIX = '.glance-partial'

# A process killed mid-upload leaves its temporary file behind; start-up removes
# those not modified for this long.  An upload in progress writes continuously
# (and the API server drops clients idle for client_socket_timeout, 900 s by
# default), so a temporary file untouched for an hour belongs to a dead process,
# even when several API servers share the directory over NFS.
STALE_TEMP_SECONDS = 3600

# Short enough that the temporary name (id + 32 characters) stays under NAME_MAX.
_IMAGE_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9._-]{0,127}')

# Errors meaning "the filesystem cannot hard-link": fall back to a rename.
_NO_HARDLINKS = frozenset([errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS,
                           errno.EMLINK])


class _DataDir:
    """One directory of the store with its priority (higher is tried first)."""

    def __init__(self, path, priority, option):
        self.path = path
        self.priority = priority
        self.option = option

    def free_bytes(self):
        """Bytes available to this process, or None when the filesystem won't say."""
        try:
            st = os.statvfs(self.path)
        except OSError as e:
            LOG.warning('Cannot read free space of %s: %s', self.path, e)
            return None
        return st.f_bavail * st.f_frsize


class FilesystemStore(base.Store):
    """Files in ``filesystem_store_datadir`` or the ``filesystem_store_datadirs``.

    Only files directly inside one of the configured directories are served or
    deleted: a ``file://`` URI pointing anywhere else is refused (``BadStoreUri``)
    even if it reached the store by mistake.
    """

    name = 'file'
    schemes = ('file', 'filesystem')
    capabilities = base.Capability.READ | base.Capability.READ_RANDOM | base.Capability.WRITE

    def __init__(self, conf):
        super().__init__(conf)
        opts = conf.glance_store
        self.chunk_size = opts.filesystem_store_chunk_size
        self.file_perm = _file_mode(opts.filesystem_store_file_perm)
        self.datadirs = _configured_dirs(conf)
        for datadir in self.datadirs:
            _prepare_dir(datadir)
        _refuse_same_dir_twice(self.datadirs)
        self._by_realpath = {os.path.realpath(d.path): d for d in self.datadirs}
        self.mount_metadata = _load_metadata_file(opts.filesystem_store_metadata_file)
        for datadir in self.datadirs:
            _remove_stale_temp_files(datadir.path)

    # -- read ------------------------------------------------------------------------

    def _get(self, uri, offset, length):
        path = self._path_of(uri)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as e:
            _raise_read_error(e, uri)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise exception.NotFound('Image file %s not found' % uri)
            start = min(offset, st.st_size)
            end = st.st_size if length is None else min(st.st_size, start + length)
            chunks = _FileChunks(fd, start, end - start, self.chunk_size)
        except BaseException:
            os.close(fd)
            raise
        return chunks, end - start

    def _get_size(self, uri):
        path = self._path_of(uri)
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError as e:
            _raise_read_error(e, uri)
        if not stat.S_ISREG(st.st_mode):
            raise exception.NotFound('Image file %s not found' % uri)
        return st.st_size

    def local_path(self, uri):
        """The file's path (not checked for existence).

        :raises BadStoreUri: ``uri`` is not a file inside this store's directories.
        """
        self._check_scheme(uri)
        return self._path_of(uri)

    # -- write -----------------------------------------------------------------------

    def _add(self, image_id, reader, size):
        if not _IMAGE_NAME.fullmatch(image_id or ''):
            raise exception.Invalid('Image id %r cannot name a file in the file store.'
                                    % (image_id,))
        if any(os.path.lexists(os.path.join(d.path, image_id)) for d in self.datadirs):
            raise exception.Duplicate('Image %s already has data in the file store.'
                                      % image_id)
        datadir = self._choose_dir(size)
        final = os.path.join(datadir.path, image_id)
        temp = os.path.join(datadir.path, '.%s.%s%s' % (image_id, secrets.token_hex(8),
                                                        TEMP_SUFFIX))
        published = None
        written = 0
        try:
            fd = self._create_temp(temp)
            try:
                while True:
                    chunk = reader.read(self.chunk_size)  # its exceptions pass unchanged
                    if not chunk:
                        break
                    self._write_all(fd, chunk, final)
                    written += len(chunk)
                self._sync(fd, final)
            finally:
                os.close(fd)
            self._link_into_place(temp, final, image_id)
            published = final
            _unlink_if_present(temp)
            self._sync_dir(datadir.path, final)
        except BaseException:
            self._discard(temp, published)
            raise
        LOG.debug('Stored %d bytes of image %s in %s', written, image_id, final)
        return 'file://' + final, written, self._metadata_for(final)

    def _delete(self, uri):
        path = self._path_of(uri)
        try:
            os.unlink(path)
        except FileNotFoundError as e:
            raise exception.NotFound('Image file %s not found' % uri) from e
        except OSError as e:
            LOG.error('Cannot delete %s: %s', path, e)
            raise exception.Forbidden('The file store cannot delete %s.' % uri) from e
        LOG.debug('Deleted %s', path)

    # -- helpers ---------------------------------------------------------------------

    def _path_of(self, uri):
        """The path ``uri`` names, refusing anything but a direct child of a datadir."""
        rest = uri[len(location.scheme_of(uri)) + 1:]
        path = rest[2:] if rest.startswith('//') else ''
        if not path.startswith('/') or '\x00' in path:
            raise exception.BadStoreUri(uri=location.redact_uri(uri))
        directory, name = os.path.split(os.path.normpath(path))
        datadir = self._by_realpath.get(os.path.realpath(directory))
        if datadir is None or not _IMAGE_NAME.fullmatch(name):
            raise exception.BadStoreUri(
                'The file store only serves image files in its own directories, not %s'
                % location.redact_uri(uri))
        return os.path.join(datadir.path, name)

    def _choose_dir(self, size):
        """The highest priority directory with ``size`` bytes free; among equals the
        one with the most room."""
        if len(self.datadirs) == 1:
            datadir = self.datadirs[0]
            free = datadir.free_bytes()
            if size and free is not None and free < size:
                raise _not_enough_space()
            return datadir
        for priority in sorted({d.priority for d in self.datadirs}, reverse=True):
            room = [(d.free_bytes() or 0, d) for d in self.datadirs if d.priority == priority]
            room = [(free, d) for free, d in room if free >= size]
            if room:
                return max(room, key=lambda item: item[0])[1]
        raise _not_enough_space()

    def _create_temp(self, temp):
        # Without a configured mode, let the umask decide as for any new file.
        mode = 0o600 if self.file_perm else 0o666
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        except OSError as e:
            _raise_write_error(e, temp)

    @staticmethod
    def _write_all(fd, chunk, final):
        view = memoryview(chunk)
        while view:
            try:
                done = os.write(fd, view)
            except OSError as e:
                _raise_write_error(e, final)
            view = view[done:]

    def _sync(self, fd, final):
        try:
            if self.file_perm:
                os.fchmod(fd, self.file_perm)
            # In a native thread: flushing a large image takes seconds, which would
            # hold up every other request of this server.
            offload.offload(os.fsync, fd)()
        except OSError as e:
            _raise_write_error(e, final)

    @staticmethod
    def _link_into_place(temp, final, image_id):
        # link() fails when the final name exists, so two uploads of one image can
        # never overwrite each other; rename() would silently replace.
        try:
            os.link(temp, final)
            return
        except FileExistsError as e:
            raise exception.Duplicate('Image %s already has data in the file store.'
                                      % image_id) from e
        except OSError as e:
            if e.errno not in _NO_HARDLINKS:
                _raise_write_error(e, final)
        if os.path.lexists(final):
            raise exception.Duplicate('Image %s already has data in the file store.'
                                      % image_id)
        try:
            os.rename(temp, final)
        except OSError as e:
            _raise_write_error(e, final)

    @staticmethod
    def _sync_dir(path, final):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                offload.offload(os.fsync, fd)()
            finally:
                os.close(fd)
        except OSError as e:
            _raise_write_error(e, final)

    @staticmethod
    def _discard(temp, published):
        for path in (temp, published):
            if path is None:
                continue
            try:
                _unlink_if_present(path)
            except OSError as e:
                LOG.error('Cannot remove partial image data %s: %s', path, e)

    def _metadata_for(self, path):
        """The metadata file entry whose mountpoint holds ``path`` (longest match)."""
        best = None
        for entry in self.mount_metadata:
            mountpoint = os.path.normpath(entry['mountpoint'])
            if os.path.commonpath([mountpoint, path]) == mountpoint:
                if best is None or len(mountpoint) > len(os.path.normpath(best['mountpoint'])):
                    best = entry
        if best is None:
            if self.mount_metadata:
                LOG.warning('No mountpoint of filesystem_store_metadata_file holds %s', path)
            return {}
        return dict(best)


class _FileChunks:
    """Iterator over ``length`` bytes of an open file from ``start``; closes the file
    when exhausted or on :meth:`close`.

    Also file-like (``read``, ``fileno``, ``tell``), so the server can send the same
    bytes with ``wsgi.file_wrapper``/sendfile instead of iterating.
    """

    def __init__(self, fd, start, length, chunk_size):
        self._fd = None
        os.lseek(fd, start, os.SEEK_SET)  # Range: skipped bytes are never read
        self._fd = fd  # ours to close from here on
        self._left = length
        self._chunk_size = chunk_size

    def __iter__(self):
        return self

    def __next__(self):
        data = self.read(self._chunk_size)
        if not data:  # done, or the file shrank under us
            self.close()
            raise StopIteration
        return data

    def read(self, size=-1):
        """At most ``size`` bytes (a chunk when negative), never past the range."""
        if self._fd is None:
            return b''
        want = min(self._chunk_size if size is None or size < 0 else size, self._left)
        data = os.read(self._fd, want) if want else b''
        self._left -= len(data)
        return data

    def fileno(self):
        if self._fd is None:
            raise ValueError('I/O operation on closed image file')
        return self._fd

    def tell(self):
        return os.lseek(self.fileno(), 0, os.SEEK_CUR)

    def close(self):
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __del__(self):
        self.close()


def _not_enough_space():
    return exception.StorageFull(
        reason='There is not enough disk space on the image storage media.')


def _raise_write_error(err, path):
    """Raise the glance_lite exception for an OS error while storing ``path``
    (the OS error itself when it has no better name)."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        LOG.error('No space left storing %s: %s', path, err)
        raise _not_enough_space() from err
    if err.errno == errno.EFBIG:
        LOG.error('File size limit reached storing %s: %s', path, err)
        raise exception.StorageFull(
            reason='The image is larger than the storage media accepts.') from err
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        LOG.error('Write denied storing %s: %s', path, err)
        raise exception.StorageWriteDenied() from err
    raise err


def _raise_read_error(err, uri):
    if err.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
        raise exception.NotFound('Image file %s not found' % uri) from err
    if err.errno in (errno.EACCES, errno.EPERM):
        LOG.error('Cannot read %s: %s', uri, err)
        raise exception.Forbidden('The file store cannot read %s.' % uri) from err
    raise err


def _unlink_if_present(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _bad_config(option, reason):
    return exception.BadStoreConfiguration(
        store_name='file', reason='option [glance_store] %s: %s' % (option, reason))


def _file_mode(value):
    """``filesystem_store_file_perm`` is written in octal digits (640 = rw-r-----)."""
    if not value:
        return 0
    digits = str(value)
    if value < 0 or len(digits) > 4 or any(c not in '01234567' for c in digits):
        raise _bad_config('filesystem_store_file_perm',
                          '%s is not an octal file mode such as 640' % value)
    return int(digits, 8)


def _explicitly_set(conf, name):
    where = conf.get_location(name, 'glance_store')
    return where is not None and where.location not in (cfg.Locations.opt_default,
                                                        cfg.Locations.set_default)


def _configured_dirs(conf):
    """The directories to use, highest priority first.

    ``filesystem_store_datadirs`` replaces ``filesystem_store_datadir``; giving both
    explicitly (or neither) is an error.  Unlike glance_store, a datadir left at its
    built-in default does not count as given.
    """
    opts = conf.glance_store
    multi = opts.filesystem_store_datadirs or []
    single = opts.filesystem_store_datadir
    if multi and single and _explicitly_set(conf, 'filesystem_store_datadir'):
        raise _bad_config('filesystem_store_datadirs',
                          'set either filesystem_store_datadir or '
                          'filesystem_store_datadirs, not both')
    if not multi:
        if not single:
            raise _bad_config('filesystem_store_datadir',
                              'set filesystem_store_datadir or filesystem_store_datadirs')
        return [_DataDir(os.path.abspath(single), 0, 'filesystem_store_datadir')]
    dirs = []
    for entry in multi:
        path, priority = entry, 0
        if ':' in entry:
            path, _, text = entry.rpartition(':')
            try:
                priority = int(text)
            except ValueError:
                raise _bad_config('filesystem_store_datadirs',
                                  'invalid priority %r in %r (path[:integer])'
                                  % (text, entry)) from None
        if not path.strip():
            raise _bad_config('filesystem_store_datadirs', 'empty path in %r' % entry)
        dirs.append(_DataDir(os.path.abspath(path.strip()), priority,
                             'filesystem_store_datadirs'))
    dirs.sort(key=lambda d: d.priority, reverse=True)
    return dirs


def _refuse_same_dir_twice(dirs):
    seen = {}
    for datadir in dirs:
        real = os.path.realpath(datadir.path)
        if real in seen:
            raise _bad_config(datadir.option, 'directory %s is listed more than once (%s, %s)'
                              % (real, seen[real], datadir.path))
        seen[real] = datadir.path


def _prepare_dir(datadir):
    """Create the directory if needed and prove we can create files in it."""
    try:
        os.makedirs(datadir.path, exist_ok=True)
        probe = os.path.join(datadir.path, '.probe.%s%s' % (secrets.token_hex(8),
                                                            TEMP_SUFFIX))
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
        os.unlink(probe)
    except OSError as e:
        raise _bad_config(datadir.option, 'directory %s cannot be created or written: %s'
                          % (datadir.path, e.strerror or e)) from e


def _load_metadata_file(path):
    """Entries of ``filesystem_store_metadata_file``: a list of dicts having string
    ``id`` and ``mountpoint`` (a single object counts as a list of one)."""
    if not path:
        return []
    option = 'filesystem_store_metadata_file'
    try:
        with open(path, encoding='utf-8') as f:
            entries = json.load(f)
    except OSError as e:
        raise _bad_config(option, 'cannot read %s: %s' % (path, e.strerror or e)) from e
    except ValueError as e:
        raise _bad_config(option, '%s is not valid JSON: %s' % (path, e)) from e
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list) or not entries:
        raise _bad_config(option, '%s must hold an object or a non-empty list of objects'
                          % path)
    for entry in entries:
        if not isinstance(entry, dict) or not all(
                isinstance(entry.get(key), str) and entry[key]
                for key in ('id', 'mountpoint')):
            raise _bad_config(option, 'every entry of %s needs string "id" and "mountpoint"'
                              % path)
        if not os.path.isabs(entry['mountpoint']):
            raise _bad_config(option, 'mountpoint %r in %s is not an absolute path'
                              % (entry['mountpoint'], path))
    return entries


def _remove_stale_temp_files(path):
    cutoff = time.time() - STALE_TEMP_SECONDS
    try:
        entries = list(os.scandir(path))
    except OSError as e:
        LOG.warning('Cannot list %s for stale partial uploads: %s', path, e)
        return
    for entry in entries:
        if not (entry.name.startswith('.') and entry.name.endswith(TEMP_SUFFIX)):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and \
                    entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
                LOG.info('Removed partial upload %s left by a stopped process', entry.path)
        except OSError as e:
            LOG.warning('Cannot remove stale partial upload %s: %s', entry.path, e)
