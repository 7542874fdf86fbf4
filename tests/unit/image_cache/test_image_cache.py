"""The cache's rules, with each driver: what becomes an entry, what never does, and
what concurrent writers, deleters and cleaners can and cannot do to each other."""
import os
import time

import pytest

from glance_lite import image_cache
from glance_lite.image_cache import tee
from tests.unit.image_cache.conftest import (cache_image, chunks_of, files_in, md5,
                                             new_id)

DATA = os.urandom(5 * 65536 + 123)


def test_a_complete_verified_download_becomes_an_entry(cache):
    image_id = new_id()
    assert cache.queue(image_id)
    stream = cache.tee(image_id, iter(chunks_of(DATA)), len(DATA), md5(DATA))
    first = next(stream)
    assert not cache.is_cached(image_id) and cache.is_being_cached(image_id)
    assert first + b''.join(stream) == DATA
    assert cache.is_cached(image_id) and not cache.is_being_cached(image_id)
    assert not cache.is_queued(image_id)  # caching it answered the queue
    [entry] = cache.cached_images()
    assert entry['image_id'] == image_id and entry['size'] == len(DATA)
    assert entry['hits'] == 0 and entry['last_accessed'] > 0
    assert cache.cache_size() == len(DATA)
    with cache.open_cached(image_id) as f:
        assert f.read() == DATA
    assert files_in(cache, 'incomplete') == [] and files_in(cache, 'invalid') == []


def test_data_that_does_not_match_the_checksum_is_never_handed_out_whole(cache):
    image_id = new_id()
    stream = cache.tee(image_id, iter(chunks_of(DATA)), len(DATA), md5(b'other'))
    received = []
    with pytest.raises(tee.VerificationFailed, match='does not match its record'):
        for chunk in stream:
            received.append(chunk)
    # The last chunk was held back: the client's transfer ends short.
    assert len(b''.join(received)) < len(DATA)
    assert list(stream) == []
    assert not cache.is_cached(image_id)
    assert files_in(cache, 'invalid') == [image_id]


def test_fewer_bytes_than_announced_goes_to_invalid(cache):
    image_id = new_id()
    with pytest.raises(tee.VerificationFailed, match='got %d bytes' % (len(DATA) - 10)):
        b''.join(cache.tee(image_id, iter(chunks_of(DATA[:-10])), len(DATA), md5(DATA)))
    assert files_in(cache, 'invalid') == [image_id]
    assert cache.cached_images() == []


def test_a_download_closed_early_goes_to_invalid(cache):
    image_id = new_id()
    stream = cache.tee(image_id, iter(chunks_of(DATA)), len(DATA), md5(DATA))
    next(stream)
    stream.close()  # the client went away
    assert not cache.is_cached(image_id) and not cache.is_being_cached(image_id)
    assert files_in(cache, 'invalid') == [image_id]


def test_a_failing_source_goes_to_invalid_and_the_error_passes(cache):
    image_id = new_id()

    def broken():
        yield DATA[:100]
        raise IOError('store went away')

    with pytest.raises(IOError, match='store went away'):
        b''.join(cache.tee(image_id, broken(), len(DATA), md5(DATA)))
    assert files_in(cache, 'invalid') == [image_id]


def test_one_writer_per_image(cache):
    image_id = new_id()
    first = cache.tee(image_id, iter(chunks_of(DATA)), len(DATA), md5(DATA))
    next(first)
    source = iter(chunks_of(DATA))
    assert cache.tee(image_id, source, len(DATA), md5(DATA)) is source
    assert b''.join(first)  # the first writer finishes normally
    cached = iter(chunks_of(DATA))
    assert cache.tee(image_id, cached, len(DATA), md5(DATA)) is cached


def test_data_without_a_checksum_is_not_cached(cache):
    source = iter(chunks_of(DATA))
    assert cache.tee(new_id(), source, len(DATA), None) is source
    assert files_in(cache, 'incomplete') == []


def test_deleting_during_a_write_keeps_the_write_out_even_if_another_starts(cache):
    image_id = new_id()
    old = b'A' * 200000
    first = cache.tee(image_id, iter(chunks_of(old)), len(old), md5(old))
    next(first)
    assert cache.delete_cached(image_id) is False  # nothing complete yet
    second = cache.tee(image_id, iter(chunks_of(DATA)), len(DATA), md5(DATA))
    next(second)  # a new download writes under the same incomplete name
    assert b''.join(first)
    # The first writer must not publish (nor move away) the second one's partial file.
    assert not cache.is_cached(image_id) and cache.is_being_cached(image_id)
    assert b''.join(second)
    with cache.open_cached(image_id) as f:
        assert f.read() == DATA


def test_a_stalled_write_removed_by_the_cleaner_is_not_published(cache):
    image_id = new_id()
    stream = cache.tee(image_id, iter(chunks_of(DATA)), len(DATA), md5(DATA))
    next(stream)
    assert cache.remove_stalled(time.time() + 1) == 1
    assert b''.join(stream)  # the client still gets every byte
    assert not cache.is_cached(image_id)


def test_an_open_entry_reads_whole_after_it_is_deleted(cache):
    image_id = new_id()
    cache_image(cache, image_id, DATA)
    data = cache.open_cached(image_id)
    assert cache.delete_cached(image_id) is True
    assert not cache.is_cached(image_id) and cache.cached_images() == []
    with data:
        assert data.read() == DATA
    assert cache.open_cached(image_id) is None


def test_hits_are_counted(cache):
    image_id = new_id()
    cache_image(cache, image_id, DATA)
    [before] = cache.cached_images()
    time.sleep(0.01)  # distinct timestamps: the clock has a resolution
    for _ in range(3):
        with cache.open_cached(image_id) as f:
            cache.record_hit(image_id, f)
    [after] = cache.cached_images()
    assert after['hits'] == 3
    assert after['last_accessed'] >= before['last_accessed']


def test_listing_ignores_what_is_not_a_complete_entry(cache):
    ids = sorted(new_id() for _ in range(3))
    for image_id in ids:
        cache_image(cache, image_id, image_id.encode())
    with open(os.path.join(cache.cache_dir, 'notes.txt'), 'w') as f:
        f.write('an operator was here')
    os.mkdir(os.path.join(cache.cache_dir, new_id()))
    stream = cache.tee(new_id(), iter([b'x']), 1, md5(b'x'))  # an incomplete file
    assert [i['image_id'] for i in cache.cached_images()] == ids
    assert cache.cache_size() == sum(len(i) for i in ids)
    stream.close()


def test_delete_all_cached(cache):
    for _ in range(3):
        cache_image(cache, new_id(), DATA[:10])
    assert cache.delete_all_cached() == 3
    assert cache.cached_images() == [] and cache.delete_all_cached() == 0


def test_the_queue(cache):
    first, second, cached = new_id(), new_id(), new_id()
    cache_image(cache, cached, DATA[:10])
    assert cache.queue(second) is True
    os.utime(os.path.join(cache.cache_dir, 'queue', second), (1, 1))  # asked earlier
    assert cache.queue(first) is True
    assert cache.queue(first) is False  # already queued
    assert cache.queue(cached) is False  # already cached
    assert cache.queued_images() == [second, first]
    assert cache.delete_queued(second) is True and cache.delete_queued(second) is False
    assert cache.delete_all_queued() == 1 and cache.queued_images() == []


def test_only_canonical_ids_name_entries(cache):
    for bad in ('../etc/passwd', 'cache.db', 'A' * 36, None, ''):
        with pytest.raises(ValueError):
            cache.is_cached(bad)
    upper = new_id().upper()
    with pytest.raises(ValueError):
        cache.queue(upper)
    assert image_cache.canonical_id(upper) == upper.lower()
    assert image_cache.canonical_id(upper.replace('-', '')) == upper.lower()
    assert image_cache.canonical_id('../x') is None


def test_cleaner_primitives(cache):
    image_id = new_id()
    with pytest.raises(tee.VerificationFailed):
        b''.join(cache.tee(image_id, iter([b'x']), 1, md5(b'y')))
    fresh = cache.tee(new_id(), iter([b'x', b'y']), 2, md5(b'xy'))
    next(fresh)
    assert cache.remove_invalid() == 1 and files_in(cache, 'invalid') == []
    assert cache.remove_stalled(time.time() - 60) == 0  # written just now: kept
    assert b''.join(fresh) == b'y'


def test_a_symlink_is_never_an_entry(cache, tmp_path):
    secret = tmp_path / 'secret'
    secret.write_bytes(b'not image data')
    image_id = new_id()
    os.symlink(secret, os.path.join(cache.cache_dir, image_id))
    assert cache.open_cached(image_id) is None and not cache.is_cached(image_id)
    assert cache.cached_images() == []
