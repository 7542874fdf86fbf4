"""glance-api: the public Images API server (default port 9292)."""
import sys

from glance_lite import conf as glance_conf
from glance_lite.cmd import _serve


def main(argv=None):
    return _serve.serve('glance-api', 9292, glance_conf.register_api_opts, argv)


if __name__ == '__main__':
    sys.exit(main())
