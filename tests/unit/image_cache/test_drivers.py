"""Loading a cache: every configuration that cannot work is refused with one line
naming the option, never replaced by another driver; and what each driver records."""
import errno
import os
import sqlite3
import sys

import pytest
import xattr

from glance_lite import image_cache
from tests.unit.image_cache.conftest import cache_conf, cache_image, new_id


def refusal(conf):
    with pytest.raises(image_cache.BadDriverConfiguration) as info:
        image_cache.load_cache(conf)
    message = str(info.value)
    assert '\n' not in message
    return message


def test_no_directory_is_refused(tmp_path):
    conf = cache_conf(tmp_path)
    conf.clear_override('image_cache_dir')
    assert refusal(conf) == 'The image cache needs a directory: set image_cache_dir'


@pytest.mark.parametrize('driver', ['sqlite', 'xattr'])
def test_a_directory_that_cannot_be_made_is_refused(tmp_path, driver):
    blocker = tmp_path / 'a-file'
    blocker.write_text('not a directory')
    message = refusal(cache_conf(blocker / 'cache', driver))
    assert 'image_cache_dir' in message and str(blocker) in message


def test_sqlite_refuses_a_database_it_cannot_open(tmp_path):
    (tmp_path / 'cache' / 'cache.db').mkdir(parents=True)
    message = refusal(cache_conf(tmp_path / 'cache'))
    assert 'image_cache_sqlite_db' in message and 'cache.db' in message


def test_xattr_refuses_a_filesystem_without_user_attributes(tmp_path, monkeypatch):
    # Every filesystem of the test machine has user xattrs: stand in for one that
    # has not (tmpfs before Linux 6.6, some NFS mounts), exactly as the kernel answers.
    def unsupported(*args, **kwargs):
        raise OSError(errno.ENOTSUP, os.strerror(errno.ENOTSUP))

    monkeypatch.setattr(xattr, 'setxattr', unsupported)
    message = refusal(cache_conf(tmp_path / 'cache', 'xattr'))
    assert 'user extended attributes' in message and 'image_cache_driver = sqlite' in message


def test_a_driver_that_cannot_be_imported_is_refused_not_replaced(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'xattr', None)  # "pip uninstall xattr"
    monkeypatch.delitem(sys.modules, 'glance_lite.image_cache.drivers.xattr', raising=False)
    message = refusal(cache_conf(tmp_path / 'cache', 'xattr'))
    assert message.startswith('The xattr image cache driver (image_cache_driver) cannot '
                              'be loaded')


def test_sqlite_keeps_glances_table(tmp_path):
    cache = image_cache.load_cache(cache_conf(tmp_path / 'cache',
                                              image_cache_sqlite_db='book.db'))
    image_id = new_id()
    cache_image(cache, image_id, b'data')
    with sqlite3.connect(str(tmp_path / 'cache' / 'book.db')) as conn:
        rows = conn.execute('SELECT image_id, size, hits FROM cached_images').fetchall()
    assert rows == [(image_id, 4, 0)]
    cache.delete_cached(image_id)
    with sqlite3.connect(str(tmp_path / 'cache' / 'book.db')) as conn:
        assert conn.execute('SELECT count(*) FROM cached_images').fetchone() == (0,)


def test_sqlite_entry_without_a_row_counts_as_never_read(tmp_path):
    cache = image_cache.load_cache(cache_conf(tmp_path / 'cache'))
    old, new = new_id(), new_id()
    cache_image(cache, old, b'old')
    cache_image(cache, new, b'new')
    cache.driver.forget(old)  # e.g. copied in by hand, or the database was lost
    described = {i['image_id']: i for i in cache.cached_images()}
    assert described[old]['last_accessed'] == 0 and described[old]['hits'] == 0
    with cache.open_cached(old) as f:
        cache.record_hit(old, f)  # starts counting
    assert {i['image_id']: i['hits'] for i in cache.cached_images()} == {old: 1, new: 0}


def test_xattr_keeps_hits_on_the_file(tmp_path):
    cache = image_cache.load_cache(cache_conf(tmp_path / 'cache', 'xattr'))
    image_id = new_id()
    cache_image(cache, image_id, b'data')
    with cache.open_cached(image_id) as f:
        cache.record_hit(image_id, f)
    path = os.path.join(cache.cache_dir, image_id)
    assert xattr.getxattr(path, 'user.hits') == b'1'
    [entry] = cache.cached_images()
    assert isinstance(entry['last_accessed'], int)
    assert not os.path.exists(os.path.join(cache.cache_dir, 'cache.db'))


def test_forget_missing_drops_rows_of_vanished_files(tmp_path):
    cache = image_cache.load_cache(cache_conf(tmp_path / 'cache'))
    kept, vanished = new_id(), new_id()
    cache_image(cache, kept, b'k')
    cache_image(cache, vanished, b'v')
    os.unlink(os.path.join(cache.cache_dir, vanished))  # removed behind our back
    cache.forget_missing()
    with sqlite3.connect(os.path.join(cache.cache_dir, 'cache.db')) as conn:
        assert conn.execute('SELECT image_id FROM cached_images').fetchall() == [(kept,)]
