"""Image API behaviour: which APIs are served, limits, quotas, formats, protections."""
from oslo_config import cfg

OPTS = [
    cfg.BoolOpt('enable_v1_api', default=True, help='Serve the Images API v1 under /v1.'),
    cfg.IntOpt('image_size_cap', default=1099511627776, min=1, max=9223372036854775808,
               help='Largest image in bytes; a larger upload is refused (413, or 400 '
                    'when the size is declared up front).'),
    cfg.IntOpt('image_member_quota', default=128,
               help='Most members of one image; negative means unlimited.'),
    cfg.IntOpt('image_property_quota', default=128,
               help='Most custom properties of one image; negative means unlimited.'),
    cfg.StrOpt('hashing_algorithm', default='sha512',
               help='hashlib algorithm used for os_hash_value.'),
]

IMAGE_FORMAT_OPTS = [
    cfg.ListOpt('container_formats',
                default=['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker'],
                help='Container formats an image may have.'),
    cfg.ListOpt('disk_formats',
                default=['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi',
                         'iso', 'ploop'],
                help='Disk formats an image may have.'),
]


def register_opts(conf):
    conf.register_opts(OPTS)
    conf.register_opts(IMAGE_FORMAT_OPTS, group='image_format')


def list_opts():
    return [(None, OPTS), ('image_format', IMAGE_FORMAT_OPTS)]
