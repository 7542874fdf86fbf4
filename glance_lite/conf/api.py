"""Image API behaviour: which APIs are served, limits, quotas, formats, protections."""
from oslo_config import cfg

OPTS = [
    cfg.BoolOpt('enable_v1_api', default=True, help='Serve the Images API v1 under /v1.'),
    cfg.BoolOpt('enable_v2_api', default=True, help='Serve the Images API v2 under /v2.'),
    cfg.IntOpt('image_size_cap', default=1099511627776, min=1, max=9223372036854775808,
               help='Largest image in bytes; a larger upload is refused (413, or 400 '
                    'when the size is declared up front).'),
    cfg.IntOpt('image_member_quota', default=128,
               help='Most members of one image; negative means unlimited.'),
    cfg.IntOpt('image_property_quota', default=128,
               help='Most custom properties of one image; negative means unlimited.'),
    cfg.StrOpt('hashing_algorithm', default='sha512',
               help='hashlib algorithm used for os_hash_value.'),
    cfg.StrOpt('property_protection_file',
               help='INI file of rules saying who may create, read, update and delete '
                    'which image properties; unset means no property protections.'),
    cfg.StrOpt('property_protection_rule_format', default='roles',
               choices=(('roles', 'each operation lists role names'),
                        ('policies', 'each operation names one policy rule')),
               help='How the rules of property_protection_file say who is allowed.'),
    cfg.IntOpt('image_tag_quota', default=128,
               help='Most tags of one image (v2); negative means unlimited.'),
    cfg.IntOpt('image_location_quota', default=10,
               help='Most locations of one image (v2); negative means unlimited.'),
    cfg.StrOpt('user_storage_quota', default='0',
               help='Most bytes one project may store, as digits with an optional unit '
                    'B, KB, MB, GB or TB (1024-based); 0 means unlimited.'),
    cfg.BoolOpt('show_image_direct_url', default=False,
                help='v2 shows direct_url, the URL of the best location of an image.'),
    cfg.BoolOpt('show_multiple_locations', default=False,
                help='v2 shows the locations of images and lets callers allowed by '
                     'policy add and remove them.'),
    cfg.StrOpt('location_strategy', default='location_order',
               choices=('location_order', 'store_type'),
               help='Order in which the locations of an image are tried.'),
    cfg.BoolOpt('allow_additional_image_properties', default=True,
                help='Let v2 images carry properties the image schema does not define '
                     '(string values). When false, such keys are refused on create and '
                     'update and left out of responses.'),
]

STORE_TYPE_STRATEGY_OPTS = [
    cfg.ListOpt('store_type_preference', default=[],
                help='Store schemes in order of preference for location_strategy = '
                     'store_type, e.g. "file,http".'),
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
    conf.register_opts(STORE_TYPE_STRATEGY_OPTS, group='store_type_location_strategy')


def list_opts():
    return [(None, OPTS), ('image_format', IMAGE_FORMAT_OPTS),
            ('store_type_location_strategy', STORE_TYPE_STRATEGY_OPTS)]
