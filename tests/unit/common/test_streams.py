import concurrent.futures
import hashlib
import io
import os

import pytest

from glance_lite.common import exception, streams

DATA = b'0123456789' * 1000


def drain(reader, n=4096):
    out = bytearray()
    while True:
        chunk = reader.read(n)
        if not chunk:
            return bytes(out)
        out += chunk


def test_passes_bytes_and_computes_both_hashes():
    reader = streams.UploadReader(io.BytesIO(DATA), cap=10 ** 9, hash_algorithm='sha512')
    assert drain(reader) == DATA
    assert reader.hashes.checksum == hashlib.md5(DATA).hexdigest()
    assert reader.hashes.multihash == hashlib.sha512(DATA).hexdigest()
    assert reader.bytes_read == len(DATA)


def test_cap_crossed_mid_stream_raises_413():
    reader = streams.UploadReader(io.BytesIO(DATA), cap=5000)
    with pytest.raises(exception.ImageSizeLimitExceeded) as e:
        drain(reader, 1000)
    assert e.value.http_status == 413
    assert 'larger than 5000 bytes' in e.value.msg


def test_declared_size_mismatch_is_400_with_v1_note():
    reader = streams.UploadReader(io.BytesIO(DATA), cap=10 ** 9, expected_size=len(DATA) + 1,
                                  mismatch_note=" Setting image status to 'killed'.")
    with pytest.raises(exception.Invalid) as e:
        drain(reader)
    assert e.value.msg == ("Supplied size (10001) and size generated from uploaded image "
                           "(10000) did not match. Setting image status to 'killed'.")


def test_longer_body_than_declared_size_stops_early():
    reader = streams.UploadReader(io.BytesIO(DATA), cap=10 ** 9, expected_size=100)
    with pytest.raises(exception.Invalid, match='did not match'):
        drain(reader, 1000)
    assert reader.bytes_read == 1000


def test_checksum_mismatch_is_400():
    reader = streams.UploadReader(io.BytesIO(DATA), cap=10 ** 9, expected_checksum='0' * 32)
    with pytest.raises(exception.Invalid, match=r'Supplied checksum \(0+\)'):
        drain(reader)


def test_short_body_means_client_disconnected():
    reader = streams.UploadReader(io.BytesIO(DATA), cap=10 ** 9,
                                  content_length=len(DATA) + 10)
    with pytest.raises(exception.ClientDisconnected) as e:
        drain(reader)
    assert e.value.http_status == 400


def test_read_error_from_socket_means_client_disconnected():
    class Broken:
        def read(self, n):
            raise ConnectionResetError('gone')

    with pytest.raises(exception.ClientDisconnected,
                       match='Client disconnected before sending all data'):
        streams.UploadReader(Broken(), cap=10).read(5)


def test_content_length_bounds_reads():
    reader = streams.UploadReader(io.BytesIO(DATA), cap=10 ** 9, content_length=10)
    assert drain(reader) == DATA[:10]


def test_iterator_reader():
    reader = streams.IteratorReader([b'ab', b'', b'cd'])
    assert [reader.read(), reader.read(), reader.read()] == [b'ab', b'cd', b'']


# -- hashing in native threads ---------------------------------------------------------

_THREADS = concurrent.futures.ThreadPoolExecutor(2)


def thread_offload(fn, *args):
    return _THREADS.submit(fn, *args).result


@pytest.mark.parametrize('chunk', [1, 4096, streams.HASH_BATCH_BYTES - 1,
                                   streams.HASH_BATCH_BYTES, 3 * streams.HASH_BATCH_BYTES])
def test_offloaded_hashes_equal_inline_ones(chunk):
    data = os.urandom(3 * streams.HASH_BATCH_BYTES + 12345)
    reader = streams.UploadReader(io.BytesIO(data), cap=10 ** 9, offload=thread_offload)
    assert drain(reader, chunk) == data
    assert reader.hashes.checksum == hashlib.md5(data).hexdigest()
    assert reader.hashes.multihash == hashlib.sha512(data).hexdigest()


def test_offloaded_checksum_mismatch_is_still_400():
    reader = streams.UploadReader(io.BytesIO(DATA), cap=10 ** 9, offload=thread_offload,
                                  expected_checksum='0' * 32)
    with pytest.raises(exception.Invalid, match=r'Supplied checksum \(0+\)'):
        drain(reader)


class RecordingOffload:
    """Runs work when asked to wait for it, and records how much was outstanding."""

    def __init__(self):
        self.outstanding = []
        self.most_outstanding = 0
        self.calls = 0

    def __call__(self, fn, *args):
        self.calls += 1
        self.outstanding.append((fn, args))
        self.most_outstanding = max(self.most_outstanding, len(self.outstanding))

        def wait():
            self.outstanding.remove((fn, args))
            return fn(*args)
        return wait


def test_one_batch_in_flight_and_batches_not_chunks_are_handed_over():
    offload = RecordingOffload()
    hashes = streams.Hashes('sha512', offload)
    data = os.urandom(4096)
    count = 4 * streams.HASH_BATCH_BYTES // len(data)
    for _ in range(count):
        hashes.update(data)
    # Two digests per batch, and a batch waits for the one before it.
    assert offload.calls == 2 * 4
    assert offload.most_outstanding == 2
    assert hashes.checksum == hashlib.md5(data * count).hexdigest()
    assert not offload.outstanding


def test_an_error_in_the_hash_thread_reaches_the_caller():
    def failing(fn, *args):
        def wait():
            raise MemoryError('no room')
        return wait

    hashes = streams.Hashes('sha512', failing)
    hashes.update(b'x' * streams.HASH_BATCH_BYTES)
    with pytest.raises(MemoryError):
        hashes.checksum
