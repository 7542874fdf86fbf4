"""glance-status: ``glance-status upgrade check`` (cli.md §8).

Exit status 0 when every check passed, 1 for a warning, 2 for a failure, 255 when
the checks could not run (an unreadable configuration file, an unexpected error).
Configuration: glance.conf then glance-status.conf, or the files given with
``--config-file`` (typically glance-api.conf and glance-registry.conf together).
"""
import sys

from oslo_config import cfg
from oslo_upgradecheck import upgradecheck

from glance_lite import upgrade_checks
from glance_lite.common import config
from glance_lite.conf import opts

PROG = 'glance-status'


def option_lists():
    """Every option of glance-api and glance-registry, merged by group."""
    groups = {}
    for group, group_opts in opts.list_api_opts() + opts.list_registry_opts():
        known = groups.setdefault(group, [])
        known.extend(o for o in group_opts if o not in known)
    return list(groups.items())


def main(argv=None):
    conf = cfg.ConfigOpts()
    lists = option_lists()
    for group, group_opts in lists:
        conf.register_opts(group_opts, group=group)
    checks = upgrade_checks.Checks(conf, lists)
    try:
        return upgradecheck.main(conf, project='glance', upgrade_command=checks,
                                 argv=sys.argv[1:] if argv is None else argv,
                                 default_config_files=config.find_config_files(PROG))
    except cfg.Error as e:
        print('Error: %s' % e)
        return 255


if __name__ == '__main__':
    sys.exit(main())
