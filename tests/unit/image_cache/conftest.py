"""Caches in a fresh directory, with each bookkeeping driver."""
import hashlib
import os
import uuid

import pytest
from oslo_config import cfg

from glance_lite import conf as glance_conf
from glance_lite import image_cache

DRIVERS = ('sqlite', 'xattr')


def cache_conf(cache_dir, driver='sqlite', **overrides):
    conf = cfg.ConfigOpts()
    glance_conf.register_cache_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('image_cache_dir', str(cache_dir))
    conf.set_override('image_cache_driver', driver)
    for name, value in overrides.items():
        conf.set_override(name, value)
    return conf


def new_id():
    return str(uuid.uuid4())


def chunks_of(data, size=65536):
    return [data[i:i + size] for i in range(0, len(data), size)]


def md5(data):
    return hashlib.md5(data).hexdigest()


def cache_image(cache, image_id, data):
    """Cache ``data`` as image ``image_id`` the way a download does."""
    got = b''.join(cache.tee(image_id, iter(chunks_of(data)), len(data), md5(data)))
    assert got == data and cache.is_cached(image_id)


def files_in(cache, subdir=''):
    path = os.path.join(cache.cache_dir, subdir)
    return sorted(n for n in os.listdir(path) if os.path.isfile(os.path.join(path, n)))


@pytest.fixture(params=DRIVERS)
def driver(request):
    return request.param


@pytest.fixture
def cache(tmp_path, driver):
    return image_cache.load_cache(cache_conf(tmp_path / 'cache', driver))
