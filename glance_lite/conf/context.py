"""How a request's identity becomes a context (api and registry)."""
from oslo_config import cfg

OPTS = [
    cfg.BoolOpt('owner_is_tenant', default=True,
                help='Image owner is the project of the caller; False makes it the user.'),
    cfg.StrOpt('admin_role', default='admin',
               help='Role (compared case-insensitively) that makes a caller admin.'),
    cfg.BoolOpt('allow_anonymous_access', default=False,
                help='Give unauthenticated requests a read-only, non-admin context '
                     'instead of answering 401.'),
    cfg.IntOpt('max_request_id_length', default=64, min=0,
               help='Longest accepted X-Openstack-Request-Id; longer gets 431.'),
]


def register_opts(conf):
    conf.register_opts(OPTS)


def list_opts():
    return [(None, OPTS)]
