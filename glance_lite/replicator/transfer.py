"""Image data on its way from a source to a target, checked against the source's record.

:func:`verified` passes the chunks through but holds the last one back until the whole
stream has been seen: when the byte count or a digest disagrees with the source's
record, it raises instead of releasing that chunk, so the receiver never gets a
complete body of the wrong bytes (an HTTP upload is cut short, a dump file is not
finished).
"""
import hashlib


class TransferFailed(Exception):
    """The data of one image did not arrive as its record describes."""


class Expected:
    """What the data of one image must look like.

    :param size: bytes (int).
    :param checksum: MD5 hex digest, or None when the record has none.
    :param hash_algo: name of a second digest (v2 ``os_hash_algo``), or None.
    :param hash_value: its hex value.
    """

    def __init__(self, size, checksum=None, hash_algo=None, hash_value=None):
        self.size = size or 0
        self.checksum = checksum
        self.hash_algo = hash_algo if hash_value else None
        self.hash_value = hash_value
        if self.hash_algo and self.hash_algo not in hashlib.algorithms_available:
            # A digest we cannot compute is left to the MD5 and the size.
            self.hash_algo = None

    @classmethod
    def of(cls, record):
        """From an image record of either API version."""
        return cls(record.get('size'), record.get('checksum'), record.get('os_hash_algo'),
                   record.get('os_hash_value'))

    def describe(self):
        """What was verified, for progress lines."""
        checks = ['%d bytes' % self.size]
        if self.checksum:
            checks.append('checksum %s' % self.checksum)
        if self.hash_algo:
            checks.append(self.hash_algo)
        return ', '.join(checks) + ' verified'


def verified(chunks, expected, what):
    """Yield ``chunks`` unchanged, releasing the last one only once they all match.

    :param what: names the data in error messages (e.g. ``image <id> from <server>``).
    :raises TransferFailed: too many or too few bytes, or a digest mismatch.
    """
    md5 = hashlib.md5(usedforsecurity=False)
    other = hashlib.new(expected.hash_algo) if expected.hash_algo else None
    seen = 0
    held = None
    for chunk in chunks:
        if not chunk:
            continue
        seen += len(chunk)
        if seen > expected.size:
            raise TransferFailed('%s: more than the %d bytes its record states'
                                 % (what, expected.size))
        md5.update(chunk)
        if other is not None:
            other.update(chunk)
        if held is not None:
            yield held
        held = chunk
    if seen != expected.size:
        raise TransferFailed('%s: %d bytes arrived, its record states %d'
                             % (what, seen, expected.size))
    if expected.checksum and md5.hexdigest() != expected.checksum:
        raise TransferFailed('%s: checksum %s does not match the recorded %s'
                             % (what, md5.hexdigest(), expected.checksum))
    if other is not None and other.hexdigest() != expected.hash_value:
        raise TransferFailed('%s: %s digest does not match the recorded os_hash_value'
                             % (what, expected.hash_algo))
    if held is not None:
        yield held


def file_chunks(path, chunk_size):
    """The contents of ``path`` in pieces of at most ``chunk_size`` bytes.

    :raises TransferFailed: the file cannot be read (an OSError here must not pass for
        a network error of the upload it feeds).
    """
    try:
        with open(path, 'rb') as f:
            while True:
                chunk = f.read(chunk_size)
                if not chunk:
                    return
                yield chunk
    except OSError as e:
        raise TransferFailed('Cannot read %s: %s' % (path, e))


def check_file(path, expected, chunk_size):
    """Read ``path`` once and check it (before anything is sent anywhere).

    :raises TransferFailed: the file does not match ``expected``.
    """
    for _chunk in verified(file_chunks(path, chunk_size), expected, path):
        pass
