"""Writing image data into the cache while it streams to a client (or to nobody, for
the prefetcher), and verifying it before it becomes a cache entry."""
import hashlib
import logging
import os

LOG = logging.getLogger(__name__)


class VerificationFailed(IOError):
    """The data that went through did not match the image's size or checksum."""


class CacheWriter:
    """The data of one image being written to ``incomplete/<id>`` through ``fd``.

    Ends with exactly one of :meth:`commit` (verified data becomes the cache entry)
    or :meth:`abort` (the file goes to ``invalid/``).
    """

    def __init__(self, cache, image_id, fd, path):
        self.cache = cache
        self.image_id = image_id
        self.path = path
        self._fd = fd
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.bytes_written = 0

    def write(self, chunk):
        """:raises OSError: the cache's disk refused the data (the caller aborts)."""
        view = memoryview(chunk)
        while view:
            done = os.write(self._fd, view)
            view = view[done:]
        self._md5.update(chunk)
        self.bytes_written += len(chunk)

    def commit(self, expected_size, expected_checksum):
        """Publish the data if it is ``expected_size`` bytes (when given) with MD5
        ``expected_checksum``.

        :raises VerificationFailed: it is not (the file went to ``invalid/``).
        """
        problem = None
        if expected_size is not None and self.bytes_written != expected_size:
            problem = 'got %d bytes, expected %d' % (self.bytes_written, expected_size)
        elif self._md5.hexdigest() != expected_checksum:
            problem = 'checksum %s, expected %s' % (self._md5.hexdigest(),
                                                    expected_checksum)
        if problem:
            LOG.error('Data of image %s does not match its record (%s); not cached',
                      self.image_id, problem)
            self.abort(problem)
            raise VerificationFailed('Data of image %s does not match its record: %s'
                                     % (self.image_id, problem))
        try:
            # Data that reaches its final name must survive a crash complete: a cached
            # file is served without being verified again.
            os.fsync(self._fd)
            self.cache._publish(self.image_id, self.path, self._fd)
        except OSError as e:
            LOG.warning('Could not cache image %s: %s', self.image_id, e)
            self.abort(str(e))
        finally:
            self._close()

    def abort(self, reason):
        """Move what was written to ``invalid/`` (for the cleaner)."""
        if self._fd is None:
            return
        LOG.info('Caching of image %s abandoned: %s', self.image_id, reason)
        try:
            self.cache._quarantine(self.image_id, self.path, self._fd)
        except OSError as e:
            LOG.warning('Could not move the partial cache file of image %s to invalid/: '
                        '%s', self.image_id, e)
        finally:
            self._close()

    def _close(self):
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


class TeeIterator:
    """Yields the chunks of ``chunks`` while ``writer`` writes them to the cache.

    The last chunk is held back until the whole image is verified: when the data does
    not match the record, :class:`VerificationFailed` is raised instead, so a client
    never receives every byte of data that failed verification (its transfer ends
    short).  A cache disk that fails only stops the caching; the data still flows.
    Closing the iterator early (client gone) sends the partial file to ``invalid/``.
    """

    def __init__(self, chunks, writer, size, checksum):
        self._chunks = chunks
        self._source = iter(chunks)
        self._writer = writer
        self._size = size
        self._checksum = checksum
        self._held = None
        self._done = False

    def __iter__(self):
        return self

    def __next__(self):
        while not self._done:
            try:
                chunk = next(self._source)
            except StopIteration:
                self._done = True
                try:
                    self._finish()
                except VerificationFailed:
                    self._held = None  # never hand out the rest of unverified data
                    raise
                break
            except BaseException:
                self._abandon('reading the image data failed')
                raise
            if not chunk:
                continue
            self._write(chunk)
            held, self._held = self._held, chunk
            if held is not None:
                return held
        if self._held is None:
            raise StopIteration
        held, self._held = self._held, None
        return held

    def _write(self, chunk):
        if self._writer is None:
            return
        try:
            self._writer.write(chunk)
        except OSError as e:
            LOG.warning('Writing image %s to the cache failed: %s', self._writer.image_id,
                        e)
            self._abandon(str(e))

    def _finish(self):
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.commit(self._size, self._checksum)

    def _abandon(self, reason):
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.abort(reason)

    def close(self):
        if not self._done:
            self._abandon('the transfer ended before the last byte')
        close = getattr(self._chunks, 'close', None)
        if close is not None:
            close()
