"""The image cache of one api node (spec cache-and-scrubber.md §1).

::

    <image_cache_dir>/<image id>             complete, verified image data
    <image_cache_dir>/incomplete/<image id>  being written, by exactly one writer
    <image_cache_dir>/invalid/<image id>     a write that failed or did not verify
    <image_cache_dir>/queue/<image id>       empty marker: prefetch requested

Entries are named by the canonical image id (lower-case dashed UUID), so no request
can name a path outside these directories and every spelling of an id shares one
entry.  A driver (``image_cache_driver``) keeps hits and access times.

Api workers and the cron tools share the directory without locks, on three POSIX
guarantees:

* ``O_EXCL`` creation gives a file one writer: two downloads of an image never write
  the same incomplete file;
* ``rename()`` is atomic: verified data appears under its final name at once, so a
  reader never sees a file that is still being written;
* an open file keeps its data after ``unlink()``: pruning, cleaning or deleting an
  entry never truncates a download being served from it.
"""
import errno
import importlib
import logging
import os
import secrets
import stat
import uuid

from glance_lite.image_cache import tee
from glance_lite.image_cache.drivers.base import BadDriverConfiguration

__all__ = ['BadDriverConfiguration', 'ImageCache', 'canonical_id', 'load_cache']

LOG = logging.getLogger(__name__)

DRIVERS = {'sqlite': 'glance_lite.image_cache.drivers.sqlite',
           'xattr': 'glance_lite.image_cache.drivers.xattr'}

# Cached files hold the data of private images: readable by the service user only.
FILE_MODE = 0o600


def canonical_id(value):
    """The cache's name for an image id (lower-case dashed UUID), or None when
    ``value`` is not a UUID in any spelling Glance accepts."""
    try:
        return str(uuid.UUID(value))
    except (AttributeError, TypeError, ValueError):
        return None


def load_cache(conf):
    """The :class:`ImageCache` that ``conf`` describes, ready to use.

    :raises BadDriverConfiguration: no ``image_cache_dir``, a directory that cannot
        be used, a driver that cannot be loaded or cannot work there.  Never falls
        back to another driver.
    """
    if not conf.image_cache_dir:
        raise BadDriverConfiguration('The image cache needs a directory: set '
                                     'image_cache_dir')
    cache_dir = os.path.abspath(conf.image_cache_dir)
    name = conf.image_cache_driver.lower()
    for path in (cache_dir,) + tuple(os.path.join(cache_dir, d) for d in ImageCache.SUBDIRS):
        try:
            os.makedirs(path, exist_ok=True)
            if not os.access(path, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        except OSError as e:
            raise BadDriverConfiguration('The image cache cannot use %s (image_cache_dir): '
                                         '%s' % (path, e.strerror or e)) from e
    try:
        module = importlib.import_module(DRIVERS[name])
    except ImportError as e:
        raise BadDriverConfiguration('The %s image cache driver (image_cache_driver) '
                                     'cannot be loaded: %s' % (name, e)) from e
    return ImageCache(cache_dir, module.Driver(cache_dir, conf))


class ImageCache:
    """The files of the cache, with bookkeeping by ``driver``.

    Methods taking an ``image_id`` expect the canonical form (:func:`canonical_id`)
    and raise ValueError for anything else: callers translate what they received.
    """

    SUBDIRS = ('incomplete', 'invalid', 'queue')

    def __init__(self, cache_dir, driver):
        self.cache_dir = cache_dir
        self.driver = driver

    def _path(self, image_id, subdir=''):
        if image_id is None or canonical_id(image_id) != image_id:
            raise ValueError('%r is not a canonical image id' % (image_id,))
        return os.path.join(self.cache_dir, subdir, image_id)

    def _bookkeep(self, hook, *args):
        # Bookkeeping is advisory: failing to count a hit must never fail a download.
        try:
            hook(*args)
        except Exception as e:
            LOG.warning('Image cache bookkeeping (%s %s) failed: %s', hook.__name__,
                        args[0], e)

    # -- reading ---------------------------------------------------------------------

    def is_cached(self, image_id):
        try:
            return stat.S_ISREG(os.lstat(self._path(image_id)).st_mode)
        except FileNotFoundError:
            return False

    def is_being_cached(self, image_id):
        return os.path.lexists(self._path(image_id, 'incomplete'))

    def open_cached(self, image_id):
        """The cached data of ``image_id`` open for reading, or None when not cached.

        Whatever happens to the entry afterwards, the open file reads the complete
        data; close it when done.
        """
        try:
            fd = os.open(self._path(image_id), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as e:
            if e.errno == errno.ELOOP:
                return None  # a symlink is nothing this cache wrote
            raise
        data = os.fdopen(fd, 'rb', buffering=0)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            data.close()
            return None
        return data

    def record_hit(self, image_id, data):
        """Count one more read of the cached data open as ``data``."""
        self._bookkeep(self.driver.record_hit, image_id, data)

    # -- writing ---------------------------------------------------------------------

    def tee(self, image_id, chunks, size, checksum):
        """``chunks`` (the data of ``image_id``), also written into the cache.

        The entry appears only when the data was complete (``size`` bytes, when
        given) and its MD5 equals ``checksum``; otherwise the written file goes to
        ``invalid/``.  When the image is cached or being cached already, or there is
        no checksum to verify against, ``chunks`` is returned unchanged.

        :returns: an iterable to consume instead of ``chunks``; see
            :class:`glance_lite.image_cache.tee.TeeIterator`.
        """
        if not checksum:
            LOG.warning('Image %s has no checksum; not caching data that cannot be '
                        'verified', image_id)
            return chunks
        writer = self._open_for_write(image_id)
        if writer is None:
            return chunks
        return tee.TeeIterator(chunks, writer, size, checksum)

    def _open_for_write(self, image_id):
        if self.is_cached(image_id):
            return None
        path = self._path(image_id, 'incomplete')
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                         FILE_MODE)
        except FileExistsError:
            return None  # another download is caching it
        except OSError as e:
            LOG.warning('Cannot start caching image %s at %s: %s', image_id, path, e)
            return None
        return tee.CacheWriter(self, image_id, fd, path)

    def _claim(self, path, fd):
        """Move the file written through ``fd`` from ``path`` to a name only this
        writer knows, and return that name; None when ``path`` no longer holds it.

        ``path`` may have been removed (by the cleaner, or a delete) and even
        recreated by another download since: moving first and checking the inode
        under the private name means a writer only ever publishes its own file.
        """
        image_id = os.path.basename(path)
        private = os.path.join(self.cache_dir, 'incomplete',
                               '.%s.%s' % (image_id, secrets.token_hex(8)))
        try:
            os.rename(path, private)
        except FileNotFoundError:
            return None
        found, ours = os.stat(private), os.fstat(fd)
        if (found.st_dev, found.st_ino) == (ours.st_dev, ours.st_ino):
            return private
        # Another download's file: give its name back (unless yet another took it).
        try:
            os.link(private, path)
        except FileExistsError:
            pass
        os.unlink(private)
        return None

    def _publish(self, image_id, path, fd):
        """Make the verified file written through ``fd`` the cached data."""
        private = self._claim(path, fd)
        if private is None:
            LOG.info('Image %s was removed from the cache while being cached; its data '
                     'is not kept', image_id)
            return False
        final = self._path(image_id)
        os.rename(private, final)
        self._bookkeep(self.driver.record_cached, image_id, final)
        _unlink_quietly(self._path(image_id, 'queue'))
        LOG.debug('Cached image %s', image_id)
        return True

    def _quarantine(self, image_id, path, fd):
        """Move the failed file written through ``fd`` to ``invalid/``."""
        private = self._claim(path, fd)
        if private is not None:
            os.rename(private, self._path(image_id, 'invalid'))

    # -- listing and deleting --------------------------------------------------------

    def _entries(self, subdir=''):
        """``[(image_id, path, stat)]`` of the entries in ``subdir``, sorted by id."""
        entries = []
        with os.scandir(os.path.join(self.cache_dir, subdir)) as it:
            for entry in it:
                if canonical_id(entry.name) != entry.name:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # removed while listing
                if stat.S_ISREG(st.st_mode):
                    entries.append((entry.name, entry.path, st))
        return sorted(entries)

    def cached_images(self):
        """Bookkeeping of every cached image, sorted by id (see
        :meth:`glance_lite.image_cache.drivers.base.Driver.describe`)."""
        return self.driver.describe(self._entries())

    def cache_size(self):
        """Bytes of complete cached data."""
        return sum(st.st_size for _id, _path, st in self._entries())

    def delete_cached(self, image_id):
        """Remove the cached data of ``image_id`` (and a copy being written).

        :returns: True when there was cached data.
        """
        _unlink_quietly(self._path(image_id, 'incomplete'))
        removed = _unlink_quietly(self._path(image_id))
        self._bookkeep(self.driver.forget, image_id)
        return removed

    def delete_all_cached(self):
        """:returns: how many cached images were removed."""
        return sum(1 for image_id, _path, _st in self._entries()
                   if self.delete_cached(image_id))

    # -- the prefetch queue ----------------------------------------------------------

    def queue(self, image_id):
        """Ask the prefetcher to cache ``image_id``.

        :returns: False when it is cached, being cached or queued already.
        """
        if self.is_cached(image_id) or self.is_being_cached(image_id):
            return False
        try:
            os.close(os.open(self._path(image_id, 'queue'),
                             os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
        except FileExistsError:
            return False
        return True

    def is_queued(self, image_id):
        return os.path.lexists(self._path(image_id, 'queue'))

    def queued_images(self):
        """Ids of the queued images, oldest request first."""
        entries = self._entries('queue')
        return [image_id for image_id, _path, _st in
                sorted(entries, key=lambda e: (e[2].st_mtime, e[0]))]

    def delete_queued(self, image_id):
        """:returns: True when it was queued."""
        return _unlink_quietly(self._path(image_id, 'queue'))

    def delete_all_queued(self):
        """:returns: how many queued images were removed."""
        return sum(1 for image_id, _path, _st in self._entries('queue')
                   if self.delete_queued(image_id))

    # -- housekeeping (glance-cache-cleaner) -----------------------------------------

    def remove_invalid(self):
        """Remove every file in ``invalid/``; :returns: how many."""
        return self._remove_files('invalid', lambda st: True)

    def remove_stalled(self, older_than):
        """Remove files in ``incomplete/`` last written before epoch ``older_than``.

        A download still writing keeps its file's mtime fresh.  One that stalled
        longer loses its file; its writer then notices and keeps nothing.

        :returns: how many.
        """
        return self._remove_files('incomplete', lambda st: st.st_mtime < older_than)

    def forget_missing(self):
        """Drop the bookkeeping of entries whose files are gone."""
        for image_id in self.driver.known_ids():
            # Checked one by one after the records were read: an entry published
            # meanwhile has its file before its record, so it is never dropped.
            if canonical_id(image_id) != image_id or not self.is_cached(image_id):
                self.driver.forget(image_id)

    def _remove_files(self, subdir, wanted):
        removed = 0
        with os.scandir(os.path.join(self.cache_dir, subdir)) as it:
            for entry in it:
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if not stat.S_ISDIR(st.st_mode) and wanted(st):
                    removed += _unlink_quietly(entry.path)
        return removed


def _unlink_quietly(path):
    """Remove ``path``; :returns: False when it was not there."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True
