"""Page sizes of list calls (api and registry)."""
from oslo_config import cfg

OPTS = [
    cfg.IntOpt('limit_param_default', default=25, min=1,
               help='Page size when a list request gives no limit.'),
    cfg.IntOpt('api_limit_max', default=1000, min=1,
               help='Largest page a list request may ask for; larger limits are capped.'),
]


def register_opts(conf):
    conf.register_opts(OPTS)


def list_opts():
    return [(None, OPTS)]
