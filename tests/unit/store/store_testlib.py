"""Helpers shared by the store tests: private configs and readers."""
import os

from oslo_config import cfg

from glance_lite.conf import store as store_conf


def make_conf(**overrides):
    """A private ConfigOpts with the store options registered.

    ``overrides`` are ``name=value`` for [glance_store], or ``group__name=value``
    for another group (``import_filtering_opts__allowed_hosts=[...]``).
    """
    conf = cfg.ConfigOpts()
    store_conf.register_opts(conf)
    conf([], project='glance_lite_test', default_config_files=[])
    for key, value in overrides.items():
        group, _, name = key.rpartition('__')
        conf.set_override(name, value, group or 'glance_store')
    return conf


class Reader:
    """Gives ``data`` in pieces of at most the requested size; raises ``error``
    once ``fail_after`` bytes were handed out (None: never)."""

    def __init__(self, data, fail_after=None, error=None, on_read=None):
        self.data = data
        self.pos = 0
        self.fail_after = fail_after
        self.error = error
        self.on_read = on_read

    def read(self, n):
        if self.on_read is not None:
            self.on_read(self.pos)
        if self.fail_after is not None and self.pos >= self.fail_after:
            raise self.error
        piece = self.data[self.pos:self.pos + n]
        self.pos += len(piece)
        return piece


class Interrupted(BaseException):
    """Like eventlet's GreenletExit: not an Exception, still must clean up."""


def all_files(*dirs):
    """Every entry (hidden ones included) under ``dirs``."""
    found = set()
    for d in dirs:
        for root, subdirs, files in os.walk(d):
            found.update(os.path.join(root, name) for name in files + subdirs)
    return found
