"""[paste_deploy]: which paste file and which pipeline a server loads."""
from oslo_config import cfg

OPTS = [
    cfg.StrOpt('flavor',
               help='Pipeline suffix: the server loads "<program>-<flavor>" from its '
                    'paste file, e.g. "keystone" or "keystone+caching". Unset loads the '
                    'pipeline without authentication.'),
    cfg.StrOpt('config_file',
               help='Paste ini file. Unset means "<config file>-paste.ini" beside the '
                    'configuration file, or "<program>-paste.ini" in the search '
                    'directories.'),
]


def register_opts(conf):
    conf.register_opts(OPTS, group='paste_deploy')


def list_opts():
    return [('paste_deploy', OPTS)]
