"""[glance_store]: which drivers hold image data and how they are set up."""
from oslo_config import cfg

OPTS = [
    cfg.ListOpt('stores', default=['file', 'http'],
                help='Store drivers to enable, by name or scheme.'),
    cfg.StrOpt('default_store', default='file',
               help='Scheme new image data is written to; must be an enabled store.'),
    cfg.StrOpt('filesystem_store_datadir', default='/var/lib/glance/images',
               help='Directory the file store writes to (created if missing).'),
    cfg.MultiStrOpt('filesystem_store_datadirs',
                    help='Several directories for the file store, each "path[:priority]"; '
                         'the highest priority with room wins. Exclusive with '
                         'filesystem_store_datadir.'),
    cfg.StrOpt('filesystem_store_metadata_file',
               help='JSON file of {"id", "mountpoint"} objects returned as location '
                    'metadata for images under that mount point.'),
    cfg.IntOpt('filesystem_store_file_perm', default=0,
               help='When positive, octal mode given to stored files (e.g. 640).'),
    cfg.IntOpt('filesystem_store_chunk_size', default=65536, min=1,
               help='Bytes read or written at a time by the file store.'),
    cfg.StrOpt('https_ca_certificates_file',
               help='CA bundle for https locations.'),
    cfg.BoolOpt('https_insecure', default=True,
                help='Do not verify certificates of https locations.'),
    cfg.DictOpt('http_proxy_information', default={},
                help='Scheme to proxy map for http locations, e.g. http:10.0.0.1:3128.'),
]


def register_opts(conf):
    conf.register_opts(OPTS, group='glance_store')


def list_opts():
    return [('glance_store', OPTS)]
