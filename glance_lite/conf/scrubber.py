"""Options of glance-scrubber itself (what it scrubs is in delayed_delete.py)."""
from oslo_config import cfg

OPTS = [
    cfg.IntOpt('wakeup_time', default=300, min=0,
               help='Seconds between two scrub passes of glance-scrubber --daemon.'),
]

# Also accepted in the configuration file, as in Glance.
CLI_OPTS = [
    cfg.BoolOpt('daemon', short='D', default=False,
                help='Keep running: scrub now and then every wakeup_time seconds '
                     'until stopped (SIGTERM). Without it one pass is made.'),
    cfg.StrOpt('restore', metavar='<IMAGE_ID>',
               help='Bring the pending_delete image <IMAGE_ID> back to active with its '
                    'data, instead of scrubbing. No other glance-scrubber may run.'),
]


def register_opts(conf):
    conf.register_opts(OPTS)
    conf.register_cli_opts(CLI_OPTS)


def list_opts():
    return [(None, OPTS + CLI_OPTS)]
