"""Bounded, checked readers over request bodies.

An upload is never held in memory: the store pulls chunks through
:class:`UploadReader`, which counts, hashes and enforces limits as the bytes pass, and
raises in the middle of the stream the moment a rule is broken, so the store can drop
what it wrote.

Hashing md5 and sha512 costs more CPU than everything else an upload does.  Given an
``offload`` function, :class:`Hashes` computes the two digests in two native threads
(hashlib releases the GIL on large buffers) while the caller goes on moving bytes, so
an upload runs at the speed of the slower hash instead of the sum of both.
"""
import hashlib

from glance_lite.common import exception

CHUNK_SIZE = 1024 * 1024
# Chunks go to the hash threads in batches of about this many bytes: the cost of one
# hand-over is paid per batch, and at most two batches per upload are held in memory.
HASH_BATCH_BYTES = 1024 * 1024


def _feed(digest, chunks):
    for chunk in chunks:
        digest.update(chunk)


class Hashes:
    """MD5 (Glance's ``checksum``) and the multihash (``os_hash_value``) of a stream.

    :param offload: ``offload(fn, *args)`` starts ``fn(*args)`` in a native thread and
        returns a function that waits for it (without blocking other green threads);
        None hashes inline in :meth:`update`.
    """

    def __init__(self, algorithm, offload=None):
        self.algorithm = algorithm
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._multi = hashlib.new(algorithm)
        self._offload = offload
        self._batch = []
        self._batched = 0
        self._pending = ()

    def update(self, chunk):
        if self._offload is None:
            self._md5.update(chunk)
            self._multi.update(chunk)
            return
        self._batch.append(chunk)
        self._batched += len(chunk)
        if self._batched >= HASH_BATCH_BYTES:
            self._dispatch()

    def _dispatch(self):
        # One batch in flight at a time: it is hashed while the next one arrives.
        self._wait()
        batch, self._batch, self._batched = self._batch, [], 0
        if batch:
            self._pending = (self._offload(_feed, self._md5, batch),
                             self._offload(_feed, self._multi, batch))

    def _wait(self):
        pending, self._pending = self._pending, ()
        for wait in pending:
            wait()

    def _finish(self):
        self._dispatch()
        self._wait()

    @property
    def checksum(self):
        self._finish()
        return self._md5.hexdigest()

    @property
    def multihash(self):
        self._finish()
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
    :param over_cap: ``f(cap)`` → the exception for crossing ``cap`` when it is not
        ``image_size_cap`` (e.g. the bytes left of a storage quota).
    :param offload: see :class:`Hashes`.
    """

    def __init__(self, source, cap, hash_algorithm='sha512', content_length=None,
                 expected_size=None, expected_checksum=None, mismatch_note='',
                 over_cap=None, offload=None):
        self._source = source
        self._cap = cap
        self._over_cap = over_cap or (lambda cap: exception.ImageSizeLimitExceeded(cap=cap))
        self._content_length = content_length
        self._expected_size = expected_size
        self._expected_checksum = expected_checksum
        self._note = mismatch_note
        self.hashes = Hashes(hash_algorithm, offload)
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
            raise self._over_cap(self._cap)
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
