"""Encryption of image location URLs at rest (glance-api and glance-scrubber)."""
from oslo_config import cfg

OPTS = [
    cfg.StrOpt('metadata_encryption_key', secret=True,
               help='AES key (16, 24 or 32 bytes) that encrypts the location URLs of '
                    'images in the database. glance-api and glance-scrubber must use '
                    'the same key; unset stores URLs in clear.'),
]


def register_opts(conf):
    conf.register_opts(OPTS)


def list_opts():
    return [(None, OPTS)]
