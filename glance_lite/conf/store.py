"""[glance_store]: which drivers hold image data and how they are set up;
[import_filtering_opts]: which remote hosts the http store may fetch from."""
from oslo_config import cfg
from oslo_config import types

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

_PORT = types.Integer(min=1, max=65535)

# Glance's names and defaults.  An "allowed" list, when non-empty, wins over its
# "disallowed" twin.  Whatever these say, the http store also refuses hosts that
# resolve to loopback, link-local, unspecified or multicast addresses unless the
# host is named in allowed_hosts.
IMPORT_FILTERING_OPTS = [
    cfg.ListOpt('allowed_schemes', default=['http', 'https'],
                help='URI schemes remote image data may be fetched over; empty = any '
                     'scheme not in disallowed_schemes.'),
    cfg.ListOpt('disallowed_schemes', default=[],
                help='URI schemes refused when allowed_schemes is empty.'),
    cfg.ListOpt('allowed_hosts', default=[],
                help='Hosts (names or IPs, as written in the URI) remote image data may '
                     'be fetched from; empty = any host not in disallowed_hosts. A host '
                     'listed here may also be a loopback or link-local address.'),
    cfg.ListOpt('disallowed_hosts', default=[],
                help='Hosts refused when allowed_hosts is empty.'),
    cfg.ListOpt('allowed_ports', item_type=_PORT, default=[80, 443],
                help='Ports remote image data may be fetched from; empty = any port '
                     'not in disallowed_ports.'),
    cfg.ListOpt('disallowed_ports', item_type=_PORT, default=[],
                help='Ports refused when allowed_ports is empty.'),
]


def register_opts(conf):
    conf.register_opts(OPTS, group='glance_store')
    conf.register_opts(IMPORT_FILTERING_OPTS, group='import_filtering_opts')


def list_opts():
    return [('glance_store', OPTS), ('import_filtering_opts', IMPORT_FILTERING_OPTS)]
