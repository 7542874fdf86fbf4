"""glance-scrubber: remove the data of images deleted with delayed_delete (cli.md §6).

One pass by default (for cron); ``--daemon`` scrubs now and every ``wakeup_time``
seconds until SIGTERM or SIGINT (SIGHUP re-reads the configuration files; a new
``[database] connection`` needs a restart); ``--restore <IMAGE_ID>`` brings a
pending_delete image back instead.  Configuration: glance.conf then
glance-scrubber.conf, with the ``[database]`` and ``[glance_store]`` sections of
glance-api's and the same ``metadata_encryption_key``.
"""
import logging
import os
import signal
import sys

from oslo_config import cfg
from oslo_log import log
from sqlalchemy import exc as sa_exc

from glance_lite import conf as glance_conf
from glance_lite import scrubber, store
from glance_lite.common import config, exception
from glance_lite.db import api as db_api

LOG = logging.getLogger(__name__)

PROG = 'glance-scrubber'


class CommandFailed(Exception):
    """The message goes to stderr after ``ERROR:``; exit status 1."""


def main(argv=None):
    conf = cfg.ConfigOpts()
    log.register_options(conf)
    glance_conf.register_scrubber_opts(conf)
    try:
        config.parse_args(conf, PROG, argv)
        config.setup_logging(conf, PROG)
        if conf.restore and conf.daemon:
            raise CommandFailed('The restore and daemon options should not be set '
                                'together. Please use either of them in one request.')
        if conf.restore:
            return restore(conf, conf.restore)
        db = db_api.Database.from_conf(conf)
        if conf.daemon:
            return run_daemon(conf, db)
        scrubber.Scrubber.from_conf(conf, db, store.load_stores(conf)).run_once()
        return 0
    except CommandFailed as e:
        sys.stderr.write('ERROR: %s\n' % e)
        return 1
    except sa_exc.SQLAlchemyError as e:
        LOG.debug('Database error', exc_info=True)
        reason = getattr(e, 'orig', None) or e
        sys.stderr.write('ERROR: The scrubber cannot use the database: %s\n' % reason)
        return 1
    except (cfg.Error, exception.GlanceException, RuntimeError, ValueError) as e:
        sys.stderr.write('ERROR: %s\n' % e)
        return 1


def restore(conf, image_id):
    # A scrubber pass running at the same time could delete the data being restored.
    if scrubber.running_scrubbers():
        raise CommandFailed('glance-scrubber is already running. Please ensure that the '
                            'daemon is stopped.')
    db = db_api.Database.from_conf(conf)
    try:
        db_api.image_restore(db, image_id)
    except (exception.NotFound, exception.Conflict) as e:
        raise CommandFailed(e.msg)
    finally:
        db.dispose()
    LOG.info('Image %s restored to active', image_id)
    return 0


def run_daemon(conf, db):
    def build(reload):
        if reload and not conf.reload_config_files():
            raise RuntimeError('the configuration files could not be read')
        stores = store.load_stores(conf)
        return scrubber.Scrubber.from_conf(conf, db, stores), conf.wakeup_time

    daemon = scrubber.Daemon(build)
    signal.signal(signal.SIGTERM, lambda signum, frame: daemon.stop())
    signal.signal(signal.SIGINT, lambda signum, frame: daemon.stop())
    signal.signal(signal.SIGHUP, lambda signum, frame: daemon.reload())
    LOG.info('glance-scrubber running as a daemon (pid %d)', os.getpid())
    daemon.run()
    return 0


if __name__ == '__main__':
    sys.exit(main())
