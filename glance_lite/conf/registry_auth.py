"""How the glance-cache-prefetcher, which has no caller of its own, identifies itself
to glance-registry: as an administrator, with a Keystone token when the registry
validates tokens."""
from oslo_config import cfg

OPTS = [
    cfg.StrOpt('auth_strategy', default='noauth', choices=('noauth', 'keystone'),
               help='"keystone" gets a token for admin_user from auth_url and sends it '
                    'to the registry; "noauth" sends none (a registry without '
                    'authentication, or trusted-auth with send_identity_headers).'),
    cfg.StrOpt('admin_user', help='Keystone user name of the prefetcher.'),
    cfg.StrOpt('admin_password', secret=True, help='Password of admin_user.'),
    cfg.StrOpt('admin_tenant_name', help='Keystone project of admin_user.'),
    cfg.StrOpt('auth_url', help='Keystone endpoint, e.g. http://keystone:5000/v3.'),
]


def register_opts(conf):
    conf.register_opts(OPTS)


def list_opts():
    return [(None, OPTS)]
