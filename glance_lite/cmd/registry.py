"""glance-registry: the internal image-record server (default port 9191)."""
import sys

from glance_lite import conf as glance_conf
from glance_lite.cmd import _serve


def main(argv=None):
    return _serve.serve('glance-registry', 9191, glance_conf.register_registry_opts, argv)


if __name__ == '__main__':
    sys.exit(main())
