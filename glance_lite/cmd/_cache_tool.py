"""What glance-cache-pruner, -cleaner and -prefetcher share: glance-cache.conf, the
cache, one run, and an exit status cron can act on."""
import logging
import sys

from oslo_config import cfg
from oslo_log import log

from glance_lite.common import config, exception
from glance_lite import conf as glance_conf
from glance_lite import image_cache

LOG = logging.getLogger(__name__)


def run(prog, argv, job):
    """Parse ``prog``'s configuration (glance.conf, then glance-cache.conf), open the
    cache and return ``job(conf, cache)``: the exit status.

    Anything that stops the job is one ``ERROR:`` line on stderr and status 1.
    """
    conf = cfg.ConfigOpts()
    log.register_options(conf)
    glance_conf.register_cache_opts(conf)
    try:
        config.parse_args(conf, prog, argv,
                          default_config_files=config.find_config_files('glance-cache'))
        _setup_logging(conf, prog)
        return job(conf, image_cache.load_cache(conf))
    except (cfg.Error, RuntimeError, ValueError, exception.GlanceException) as e:
        return fail(e)
    except Exception as e:
        LOG.exception('%s failed', prog)
        return fail(e)


def _setup_logging(conf, prog):
    # Cron mails whatever a job prints.  With no log destination configured, oslo.log
    # would send INFO lines to stdout; show only warnings and errors, on stderr.
    quiet = not (conf.log_file or conf.log_dir or conf.use_syslog or conf.use_journal
                 or conf.use_stderr)
    if quiet:
        conf.set_override('use_stderr', True)
    config.setup_logging(conf, prog)
    if quiet and not conf.debug:
        logging.getLogger().setLevel(logging.WARNING)


def fail(error):
    sys.stderr.write('ERROR: %s\n' % error)
    return 1
