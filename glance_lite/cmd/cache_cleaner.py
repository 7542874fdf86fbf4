"""glance-cache-cleaner: removes failed cache writes and those stalled for longer than
image_cache_stall_time (cli.md §5; run from cron)."""
import sys

from glance_lite.cmd import _cache_tool
from glance_lite.image_cache import cleaner


def _clean(conf, cache):
    cleaner.clean(cache, conf.image_cache_stall_time)
    return 0


def main(argv=None):
    return _cache_tool.run('glance-cache-cleaner', argv, _clean)


if __name__ == '__main__':
    sys.exit(main())
