"""What glance-api and glance-registry share: parse, log, load the app, serve."""
import sys

from oslo_config import cfg
from oslo_log import log

from glance_lite.common import config, exception, server


def serve(prog, default_port, register_opts, argv, check=None):
    """Run ``prog`` until it is stopped; returns the exit status.

    :param register_opts: adds the program's options to a fresh ConfigOpts.
    :param check: optional callable(conf) run after parsing; raises to refuse start-up.
    """
    server.monkey_patch()
    conf = cfg.ConfigOpts()
    log.register_options(conf)
    register_opts(conf)
    try:
        config.parse_args(conf, prog, argv)
        config.setup_logging(conf, prog)
        if check is not None:
            check(conf)
        # Load once in the master so a broken paste file or store refuses start-up
        # with one clear line instead of failing in every worker.
        config.load_paste_app(conf, prog)
        return server.Server(conf, prog, default_port).run(
            lambda: config.load_paste_app(conf, prog))
    except cfg.Error as e:
        sys.stderr.write('ERROR: %s\n' % e)
        return 5
    except exception.BadStoreConfiguration as e:
        sys.stderr.write('ERROR: %s\n' % e)
        return 3
    except RuntimeError as e:
        sys.stderr.write('ERROR: %s\n' % e)
        return 1
    except ValueError as e:
        sys.stderr.write('ERROR: %s\n' % e)
        return 4
