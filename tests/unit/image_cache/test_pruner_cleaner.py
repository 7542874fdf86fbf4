"""The cron jobs' rules: prune least recently used first down to the limit; clean
invalid files and incomplete ones that stalled."""
import os
import time

from glance_lite.image_cache import cleaner, pruner, tee
from tests.unit.image_cache.conftest import cache_image, files_in, md5, new_id


def _cache_in_order(cache, sizes):
    """Cache one image per size, then read each once in that order (so the first is
    the least recently used); returns their ids."""
    ids = []
    for size in sizes:
        image_id = new_id()
        cache_image(cache, image_id, os.urandom(size))
        ids.append(image_id)
    for offset, image_id in enumerate(ids):
        with cache.open_cached(image_id) as f:
            cache.record_hit(image_id, f)
        # The xattr driver keeps whole seconds of the atime: make them differ.
        when = time.time() - 1000 + offset
        os.utime(os.path.join(cache.cache_dir, image_id), (when, when))
    return ids


def test_prune_removes_least_recently_used_first_down_to_the_limit(cache):
    ids = _cache_in_order(cache, [100, 200, 300, 400])
    removed, freed = pruner.prune(cache, 700)
    assert (removed, freed) == (2, 300)
    assert [i['image_id'] for i in cache.cached_images()] == sorted(ids[2:])
    assert cache.cache_size() == 700


def test_prune_within_the_limit_removes_nothing(cache):
    _cache_in_order(cache, [100, 200])
    assert pruner.prune(cache, 300) == (0, 0)
    assert pruner.prune(cache, 10 ** 9) == (0, 0)
    assert len(cache.cached_images()) == 2


def test_prune_to_zero_empties_the_cache(cache):
    _cache_in_order(cache, [10, 20, 30])
    assert pruner.prune(cache, 0) == (3, 60)
    assert cache.cached_images() == []


def test_clean_removes_invalid_and_stalled_but_not_fresh_writes(cache):
    broken = new_id()
    try:
        b''.join(cache.tee(broken, iter([b'data']), 4, md5(b'other')))
    except tee.VerificationFailed:
        pass
    stalled, fresh = new_id(), new_id()
    old_write = cache.tee(stalled, iter([b'a', b'b']), 2, md5(b'ab'))
    next(old_write)
    long_ago = time.time() - 7200
    os.utime(os.path.join(cache.cache_dir, 'incomplete', stalled), (long_ago, long_ago))
    new_write = cache.tee(fresh, iter([b'a', b'b']), 2, md5(b'ab'))
    next(new_write)
    kept = new_id()
    cache_image(cache, kept, b'kept')

    assert cleaner.clean(cache, stall_time=3600) == (1, 1)
    assert files_in(cache, 'invalid') == []
    assert files_in(cache, 'incomplete') == [fresh]
    assert b''.join(new_write) == b'b' and cache.is_cached(fresh)
    assert b''.join(old_write) == b'b' and not cache.is_cached(stalled)
    assert sorted(i['image_id'] for i in cache.cached_images()) == sorted([kept, fresh])
    assert cleaner.clean(cache, stall_time=3600) == (0, 0)
