"""The behaviour every writable store driver owes its callers.

A driver's test module subclasses :class:`WritableStoreContract` (without the
``Test`` prefix here, so it only runs through subclasses) and provides fixtures:

- ``store``: a configured, empty, writable ``Store``;
- ``backend_contents``: callable returning the set of everything the backend holds
  (temporary objects included), to prove failures leave nothing behind;
- ``uri_of``: callable mapping an image id to the URI its data gets once stored.
"""
import os

import pytest

from glance_lite.common import exception
from glance_lite.store import Capability
from store_testlib import Interrupted, Reader

DATA = os.urandom(300 * 1024 + 7)  # several chunks and a ragged end


class WritableStoreContract:

    def test_declares_read_and_write(self, store):
        assert Capability.WRITE in store.capabilities
        assert Capability.READ in store.capabilities

    def test_add_returns_uri_size_and_json_metadata(self, store, uri_of):
        uri, written, metadata = store.add('img-1', Reader(DATA), len(DATA))
        assert uri == uri_of('img-1')
        assert uri.split(':', 1)[0] in store.schemes
        assert written == len(DATA)
        assert isinstance(metadata, dict)

    def test_get_returns_the_same_bytes_in_bounded_chunks(self, store):
        uri, _, _ = store.add('img-1', Reader(DATA), len(DATA))
        chunks, size = store.get(uri)
        pieces = list(chunks)
        assert size == len(DATA)
        assert b''.join(pieces) == DATA
        assert len(pieces) > 1 and all(0 < len(p) <= 1024 * 1024 for p in pieces)

    def test_unknown_size_is_fine(self, store):
        uri, written, _ = store.add('img-1', Reader(DATA), 0)
        assert written == len(DATA)
        assert store.get_size(uri) == len(DATA)

    def test_empty_image(self, store):
        uri, written, _ = store.add('img-1', Reader(b''), 0)
        assert written == 0
        chunks, size = store.get(uri)
        assert (size, b''.join(chunks)) == (0, b'')

    def test_get_size(self, store):
        uri, _, _ = store.add('img-1', Reader(DATA), len(DATA))
        assert store.get_size(uri) == len(DATA)

    @pytest.mark.parametrize('offset,length', [
        (0, 10), (1, None), (65536, 65536), (len(DATA) - 3, 100), (5, 0),
        (len(DATA), None), (len(DATA) + 10, 5)])
    def test_range(self, store, offset, length):
        uri, _, _ = store.add('img-1', Reader(DATA), len(DATA))
        chunks, size = store.get(uri, offset=offset, length=length)
        expected = DATA[offset:] if length is None else DATA[offset:offset + length]
        assert b''.join(chunks) == expected
        assert size == len(expected)

    def test_negative_range_is_refused(self, store):
        uri, _, _ = store.add('img-1', Reader(DATA), len(DATA))
        with pytest.raises(exception.Invalid):
            store.get(uri, offset=-1)
        with pytest.raises(exception.Invalid):
            store.get(uri, offset=0, length=-5)

    def test_closing_early_is_allowed(self, store):
        uri, _, _ = store.add('img-1', Reader(DATA), len(DATA))
        chunks, _ = store.get(uri)
        assert next(chunks)
        chunks.close()
        assert list(chunks) == []

    def test_second_add_is_duplicate_and_keeps_the_first_data(self, store, backend_contents):
        uri, _, _ = store.add('img-1', Reader(DATA), len(DATA))
        before = backend_contents()
        with pytest.raises(exception.Duplicate) as info:
            store.add('img-1', Reader(b'other data'), 10)
        assert info.value.http_status == 409
        assert backend_contents() == before
        assert b''.join(store.get(uri)[0]) == DATA

    def test_delete(self, store, backend_contents):
        uri, _, _ = store.add('img-1', Reader(DATA), len(DATA))
        store.delete(uri)
        assert backend_contents() == set()
        with pytest.raises(exception.NotFound):
            store.get(uri)
        with pytest.raises(exception.NotFound):
            store.get_size(uri)
        with pytest.raises(exception.NotFound):
            store.delete(uri)

    def test_missing_data_is_not_found(self, store, uri_of):
        with pytest.raises(exception.NotFound) as info:
            store.get(uri_of('never-stored'))
        assert info.value.http_status == 404

    @pytest.mark.parametrize('fail_after', [0, 1, 100 * 1024])
    def test_reader_failure_leaves_nothing_and_propagates_unchanged(
            self, store, backend_contents, uri_of, fail_after):
        error = exception.ImageSizeLimitExceeded(cap=fail_after)
        with pytest.raises(exception.ImageSizeLimitExceeded) as info:
            store.add('img-1', Reader(DATA, fail_after=fail_after, error=error), len(DATA))
        assert info.value is error
        assert backend_contents() == set()
        with pytest.raises(exception.NotFound):
            store.get_size(uri_of('img-1'))
        # the id is free again: a retry is not a duplicate
        uri, written, _ = store.add('img-1', Reader(DATA), len(DATA))
        assert written == len(DATA)

    def test_non_exception_interrupt_also_cleans_up(self, store, backend_contents):
        with pytest.raises(Interrupted):
            store.add('img-1', Reader(DATA, fail_after=70000, error=Interrupted()), 0)
        assert backend_contents() == set()

    def test_os_error_from_reader_is_not_translated(self, store, backend_contents):
        # A client socket dying is the caller's business (400), not "storage full".
        error = ConnectionResetError(104, 'Connection reset by peer')
        with pytest.raises(ConnectionResetError) as info:
            store.add('img-1', Reader(DATA, fail_after=1000, error=error), 0)
        assert info.value is error
        assert backend_contents() == set()

    def test_data_is_invisible_until_the_reader_ends(self, store, uri_of):
        seen = []

        def look(pos):
            if pos:
                try:
                    store.get_size(uri_of('img-1'))
                    seen.append('visible at %d' % pos)
                except exception.NotFound:
                    seen.append('hidden')

        store.add('img-1', Reader(DATA, on_read=look), len(DATA))
        assert seen and set(seen) == {'hidden'}
