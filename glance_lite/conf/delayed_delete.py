"""Delayed delete: a deleted image keeps its data until glance-scrubber removes it
(glance-api decides, glance-scrubber acts; both read these)."""
from oslo_config import cfg

OPTS = [
    cfg.BoolOpt('delayed_delete', default=False,
                help='Deleting an image only marks it pending_delete (hidden from '
                     'users) and leaves its data in the store until glance-scrubber '
                     'removes it. Run glance-scrubber when this is on, or the store '
                     'fills up.'),
    cfg.IntOpt('scrub_time', default=0, min=0,
               help='Seconds an image stays pending_delete before glance-scrubber '
                    'removes its data; until then glance-scrubber --restore can bring '
                    'it back.'),
    cfg.IntOpt('scrub_pool_size', default=1, min=1,
               help='Images glance-scrubber deletes in parallel (1: one at a time).'),
]


def register_opts(conf):
    conf.register_opts(OPTS)


def list_opts():
    return [(None, OPTS)]
