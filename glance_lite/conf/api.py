"""Image API behaviour: which APIs are served, limits, quotas, formats, protections."""
from oslo_config import cfg

OPTS = [
    cfg.BoolOpt('enable_v1_api', default=True, help='Serve the Images API v1 under /v1.'),
    cfg.BoolOpt('enable_v2_api', default=True, help='Serve the Images API v2 under /v2.'),
    cfg.IntOpt('image_size_cap', default=1099511627776, min=1, max=9223372036854775808,
               help='Largest image in bytes; a larger upload is refused (413, or 400 '
                    'when the size is declared up front).'),
    cfg.StrOpt('user_storage_quota', default='0',
               help='Total bytes one owner may store: digits with an optional B, KB, MB, '
                    'GB or TB suffix (1024-based); 0 means unlimited.'),
    cfg.IntOpt('image_member_quota', default=128,
               help='Most members of one image; negative means unlimited.'),
    cfg.IntOpt('image_property_quota', default=128,
               help='Most custom properties of one image; negative means unlimited.'),
    cfg.IntOpt('image_tag_quota', default=128,
               help='Most tags of one image; negative means unlimited.'),
    cfg.IntOpt('image_location_quota', default=10,
               help='Most locations of one image; negative means unlimited.'),
    cfg.BoolOpt('show_image_direct_url', default=False,
                help='Show the direct_url of an image in v2 responses.'),
    cfg.BoolOpt('show_multiple_locations', default=False,
                help='Show and accept changes of the locations list in v2.'),
    cfg.StrOpt('location_strategy', default='location_order',
               choices=['location_order', 'store_type'],
               help='Order in which an image\'s locations are tried for a download.'),
    cfg.BoolOpt('delayed_delete', default=False,
                help='Deleting an image leaves its data for glance-scrubber '
                     '(status pending_delete).'),
    cfg.StrOpt('hashing_algorithm', default='sha512',
               help='hashlib algorithm used for os_hash_value.'),
    cfg.StrOpt('metadata_encryption_key', secret=True,
               help='AES key (16, 24 or 32 bytes) that encrypts location URLs at rest.'),
    cfg.StrOpt('property_protection_file',
               help='File of property protection rules; unset disables protections.'),
    cfg.StrOpt('property_protection_rule_format', default='roles',
               choices=['roles', 'policies'],
               help='Whether protection rules name roles or policy rules.'),
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
