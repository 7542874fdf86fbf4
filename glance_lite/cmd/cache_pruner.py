"""glance-cache-pruner: removes least recently used images until the cache holds at
most image_cache_max_size bytes (cli.md §5; run from cron)."""
import sys

from glance_lite.cmd import _cache_tool
from glance_lite.image_cache import pruner


def _prune(conf, cache):
    pruner.prune(cache, conf.image_cache_max_size)
    return 0


def main(argv=None):
    return _cache_tool.run('glance-cache-pruner', argv, _prune)


if __name__ == '__main__':
    sys.exit(main())
