"""Cache bookkeeping in the files themselves: the hit count in the extended attribute
``user.hits``, the last access in the file's atime (set explicitly on every hit, so
``relatime``/``noatime`` mounts do not matter), the caching time in its mtime.

Needs the ``xattr`` package and a filesystem with user extended attributes.
"""
import os
import tempfile
import time

import xattr

from glance_lite.image_cache.drivers import base

HITS = 'user.hits'
_PROBE = 'user.glance_lite_probe'


def _hits(target):
    try:
        return int(xattr.getxattr(target, HITS))
    except (OSError, ValueError):
        return 0


class Driver(base.Driver):
    name = 'xattr'

    def __init__(self, cache_dir, conf):
        super().__init__(cache_dir, conf)
        try:
            with tempfile.NamedTemporaryFile(dir=cache_dir, prefix='.xattr-probe-') as f:
                xattr.setxattr(f, _PROBE, b'1')
        except OSError as e:
            raise base.BadDriverConfiguration(
                'The xattr image cache driver needs user extended attributes on the '
                'filesystem of image_cache_dir %s (mount it with user_xattr, or use '
                'image_cache_driver = sqlite): %s' % (cache_dir, e.strerror or e)) from e

    def record_cached(self, image_id, path):
        xattr.setxattr(path, HITS, b'0')
        now = time.time()
        os.utime(path, (now, now))

    def record_hit(self, image_id, data):
        # Read-modify-write: two hits at the same instant may count once; the count
        # only orders nothing and informs the operator.
        xattr.setxattr(data, HITS, str(_hits(data) + 1).encode('ascii'))
        os.utime(data.fileno(), (time.time(), os.fstat(data.fileno()).st_mtime))

    def forget(self, image_id):
        """Nothing to do: the bookkeeping went with the file."""

    def known_ids(self):
        return []

    def describe(self, entries):
        return [{'image_id': image_id, 'size': st.st_size, 'hits': _hits(path),
                 'last_accessed': int(st.st_atime), 'last_modified': int(st.st_mtime)}
                for image_id, path, st in entries]
