"""The image cache of glance-api and of the glance-cache-* cron tools (which must
see the same values as the api servers on their host)."""
from oslo_config import cfg

OPTS = [
    cfg.StrOpt('image_cache_dir',
               help='Directory of the image cache; required when the cache filter is '
                    'in the pipeline (flavors ending in +caching or +cachemanagement) '
                    'and by the glance-cache-* tools.'),
    cfg.StrOpt('image_cache_driver', default='sqlite', choices=('sqlite', 'xattr'),
               ignore_case=True,
               help='How cache bookkeeping (hits, access times) is kept: "sqlite" in a '
                    'database file, "xattr" in extended attributes of the cached files '
                    '(needs a filesystem with user_xattr).'),
    cfg.StrOpt('image_cache_sqlite_db', default='cache.db',
               help='Database file of the sqlite driver, relative to image_cache_dir.'),
    cfg.IntOpt('image_cache_max_size', default=10737418240, min=0,
               help='Bytes the cache may hold; glance-cache-pruner removes the least '
                    'recently used images above it. The api may exceed it between runs.'),
    cfg.IntOpt('image_cache_stall_time', default=86400, min=0,
               help='Seconds after its last write that an incomplete cache file is '
                    'considered abandoned and removed by glance-cache-cleaner.'),
]


def register_opts(conf):
    conf.register_opts(OPTS)


def list_opts():
    return [(None, OPTS)]
