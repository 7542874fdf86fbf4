import hashlib
import io

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
