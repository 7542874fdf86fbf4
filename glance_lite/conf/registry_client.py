"""How glance-api reaches glance-registry."""
from oslo_config import cfg

from glance_lite.conf import encryption

OPTS = [
    cfg.HostAddressOpt('registry_host', default='0.0.0.0',
                       help='Address of glance-registry.'),
    cfg.PortOpt('registry_port', default=9191, help='Port of glance-registry.'),
    cfg.StrOpt('registry_client_protocol', default='http', choices=['http', 'https'],
               help='Protocol used to reach glance-registry.'),
    cfg.StrOpt('registry_client_key_file', help='TLS client key for the registry.'),
    cfg.StrOpt('registry_client_cert_file', help='TLS client certificate for the registry.'),
    cfg.StrOpt('registry_client_ca_file', help='CA bundle that signs the registry cert.'),
    cfg.BoolOpt('registry_client_insecure', default=False,
                help='Do not verify the registry\'s TLS certificate.'),
    cfg.IntOpt('registry_client_timeout', default=600, min=0,
               help='Seconds one registry request may take; 0 means no limit.'),
    cfg.BoolOpt('use_user_token', default=True,
                help='Forward the caller\'s X-Auth-Token to the registry.'),
    cfg.BoolOpt('send_identity_headers', default=False,
                help='Send the caller\'s identity (X-User-Id, X-Tenant-Id, X-Roles, '
                     'X-Identity-Status) so a trusted-auth registry can build the '
                     'context.'),
]


def register_opts(conf):
    conf.register_opts(OPTS)
    # The client encrypts and decrypts location URLs with metadata_encryption_key;
    # whoever builds one needs it (listed by conf/encryption.py).
    encryption.register_opts(conf)


def list_opts():
    return [(None, OPTS)]
