"""Bounded, checked readers over request bodies.

An upload is never held in memory: the store pulls chunks through
:class:`UploadReader`, which counts, hashes and enforces limits as the bytes pass, and
raises in the middle of the stream the moment a rule is broken, so the store can drop
what it wrote.
"""
import hashlib

from glance_lite.common import exception

CHUNK_SIZE = 1024 * 1024


class Hashes:
    """MD5 (Glance's ``checksum``) and the multihash (``os_hash_value``) of a stream."""

    def __init__(self, algorithm):
        self.algorithm = algorithm
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._multi = hashlib.new(algorithm)

    def update(self, chunk):
        self._md5.update(chunk)
        self._multi.update(chunk)

    @property
    def checksum(self):
        return self._md5.hexdigest()

    @property
    def multihash(self):
        return self._multi.hexdigest()


class UploadReader:
    """A file-like ``read(n)`` over ``source`` that enforces an upload's rules.

    :param source: object with ``read(n)`` (``wsgi.input``, a store's stream, ...).
    :param cap: most bytes allowed (``image_size_cap``); crossing it raises 413.
    :param content_length: bytes the client announced; fewer means it went away.
    :param expected_size: declared image size; a different count raises 400.
    :param expected_checksum: declared MD5; a different digest raises 400.
    :param mismatch_note: sentence appended to mismatch messages (v1 says the image
        was killed).
    """

    def __init__(self, source, cap, hash_algorithm='sha512', content_length=None,
                 expected_size=None, expected_checksum=None, mismatch_note=''):
        self._source = source
        self._cap = cap
        self._content_length = content_length
        self._expected_size = expected_size
        self._expected_checksum = expected_checksum
        self._note = mismatch_note
        self.hashes = Hashes(hash_algorithm)
        self.bytes_read = 0
        self._finished = False

    def read(self, size=-1):
        if self._finished:
            return b''
        want = size if size and size > 0 else CHUNK_SIZE
        if self._content_length is not None:
            want = min(want, self._content_length - self.bytes_read)
        chunk = self._read_source(want) if want > 0 else b''
        if not chunk:
            self._finish()
            return b''
        self.bytes_read += len(chunk)
        if self.bytes_read > self._cap:
            raise exception.ImageSizeLimitExceeded(cap=self._cap)
        if self._expected_size is not None and self.bytes_read > self._expected_size:
            self._size_mismatch()
        self.hashes.update(chunk)
        return chunk

    def _read_source(self, want):
        try:
            return self._source.read(want)
        except exception.GlanceException:
            raise
        except (OSError, ValueError) as e:
            # eventlet raises IOError/ChunkReadError when the client vanishes mid-body.
            raise exception.ClientDisconnected(
                'Client disconnected before sending all data to backend') from e

    def _finish(self):
        self._finished = True
        if self._content_length is not None and self.bytes_read < self._content_length:
            raise exception.ClientDisconnected()
        if self._expected_size is not None and self.bytes_read != self._expected_size:
            self._size_mismatch()
        checksum = self.hashes.checksum
        if self._expected_checksum is not None and checksum != self._expected_checksum:
            raise exception.Invalid(
                'Supplied checksum (%s) and checksum generated from uploaded image (%s) '
                'did not match.%s' % (self._expected_checksum, checksum, self._note))

    def _size_mismatch(self):
        raise exception.Invalid(
            'Supplied size (%s) and size generated from uploaded image (%s) did not '
            'match.%s' % (self._expected_size, self.bytes_read, self._note))


class IteratorReader:
    """``read(n)`` over an iterator of byte chunks (a store's download stream)."""

    def __init__(self, iterator):
        self._iterator = iter(iterator)

    def read(self, size=-1):
        for chunk in self._iterator:
            if chunk:
                return chunk
        return b''
