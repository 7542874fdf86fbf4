"""Options of the glance-registry service itself."""
from oslo_config import cfg

OPTS = [
    cfg.BoolOpt('enable_v1_registry', default=True,
                help='Serve the registry REST API used by glance-api.'),
]


def register_opts(conf):
    conf.register_opts(OPTS)


def list_opts():
    return [(None, OPTS)]
