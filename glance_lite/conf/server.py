"""Socket and process options shared by glance-api and glance-registry."""
from oslo_config import cfg

OPTS = [
    cfg.HostAddressOpt('bind_host', default='0.0.0.0',
                       help='Address the server listens on (IPv4 or IPv6).'),
    cfg.PortOpt('bind_port',
                help='Port the server listens on. Unset means 9292 for glance-api and '
                     '9191 for glance-registry; 0 picks a free port and logs it.'),
    cfg.IntOpt('backlog', default=4096, min=1,
               help='Number of pending connections the listening socket queues.'),
    cfg.IntOpt('tcp_keepidle', default=600, min=1,
               help='Seconds a connection stays idle before TCP keepalive probes start.'),
    cfg.IntOpt('workers', min=0,
               help='Number of worker processes. Unset means the number of CPUs (at '
                    'most 8); 0 serves from the master process alone.'),
    cfg.IntOpt('max_header_line', default=16384, min=0,
               help='Longest accepted header line in bytes; a longer one gets 400. '
                    '0 means unlimited.'),
    cfg.BoolOpt('http_keepalive', default=True,
                help='Keep client connections open between requests.'),
    cfg.IntOpt('client_socket_timeout', default=900, min=0,
               help='Seconds an idle client connection is kept; 0 waits forever.'),
    cfg.StrOpt('cert_file', help='TLS certificate file; needs key_file too.'),
    cfg.StrOpt('key_file', help='TLS private key file; needs cert_file too.'),
    cfg.StrOpt('ca_file', help='CA bundle; when set, clients must present a certificate.'),
    cfg.StrOpt('public_endpoint',
               help='Base URL advertised in the versions document instead of the '
                    'request host.'),
]


def register_opts(conf):
    conf.register_opts(OPTS)


def list_opts():
    return [(None, OPTS)]
