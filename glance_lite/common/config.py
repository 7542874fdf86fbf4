"""Command line and configuration files of every program, and paste app loading."""
import itertools
import logging
import os
import sys

from oslo_log import log
from paste import deploy

# The seed's search order: the current directory first, then Glance's usual places.
SEARCH_DIRS = ('.', '~/.glance', '~', '/etc/glance', '/etc')

# Paste loads in progress: key → (conf, objects shared by that load's factories).
_LOADING = {}
_LOAD_COUNTER = itertools.count()


def search_dirs():
    return [os.path.abspath(os.path.expanduser(d)) for d in SEARCH_DIRS]


def find_config_files(prog):
    """``glance.conf`` then ``<prog>.conf``: the first hit of each in the search dirs."""
    found = []
    for name in ('glance.conf', '%s.conf' % prog):
        for d in search_dirs():
            path = os.path.join(d, name)
            if os.path.isfile(path):
                found.append(path)
                break
    return found


def find_file(conf, name):
    """Path of the file ``name`` that goes with the parsed ``conf``, or None.

    Looked for in ``--config-dir`` and beside the config files (the last one first), then
    in the search dirs: a file shipped next to ``glance-api.conf`` is found first.
    """
    dirs = [os.path.abspath(d) for d in conf.config_dir or ()]
    dirs += [os.path.dirname(os.path.abspath(f)) for f in reversed(conf.config_file)]
    for d in dirs + search_dirs():
        path = os.path.join(d, name)
        if os.path.isfile(path):
            return path
    return None


def parse_args(conf, prog, argv=None, default_config_files=None):
    """Parse the command line and the config files of ``prog`` into ``conf``."""
    from glance_lite import version
    if default_config_files is None:
        default_config_files = find_config_files(prog)
    conf(args=sys.argv[1:] if argv is None else argv, project='glance', prog=prog,
         version=version.version_string(), default_config_files=default_config_files)


_FORMAT_OPTIONS = ('logging_context_format_string', 'logging_default_format_string',
                   'logging_debug_format_suffix', 'logging_exception_prefix')


def setup_logging(conf, prog):
    log.setup(conf, prog)
    # Every record asks eventlet's patched threading module for its thread (tens of
    # microseconds, twice per request with the access lines); skip that unless a
    # configured format shows it.
    formats = [getattr(conf, name) or '' for name in _FORMAT_OPTIONS]
    if not conf.log_config_append and not any('%(thread' in f for f in formats):
        logging.logThreads = False


def _paste_candidates(conf, prog):
    dirs = [os.path.dirname(os.path.abspath(f)) for f in conf.config_file]
    dirs += [os.path.abspath(d) for d in conf.config_dir or ()]
    dirs += search_dirs()
    name = conf.paste_deploy.config_file
    if name:
        if os.path.isabs(name):
            return [name]
        return [name] + [os.path.join(d, name) for d in dirs]
    candidates = []
    if conf.config_file:
        base = os.path.abspath(conf.config_file[-1])
        candidates.append(base[:-len('.conf')] + '-paste.ini' if base.endswith('.conf')
                          else base + '-paste.ini')
    candidates += [os.path.join(d, '%s-paste.ini' % prog) for d in dirs]
    return candidates


def find_paste_config(conf, prog):
    """Path of the paste ini for ``prog``; RuntimeError with the seed's text if none."""
    for path in _paste_candidates(conf, prog):
        if os.path.isfile(path):
            return os.path.abspath(path)
    if not conf.config_file:
        raise RuntimeError('Unable to locate any configuration file. '
                           'Cannot load application %s' % prog)
    raise RuntimeError('Unable to locate paste config file for %s.' % prog)


def pipeline_name(conf, prog):
    flavor = conf.paste_deploy.flavor
    return '%s-%s' % (prog, flavor) if flavor else prog


def load_paste_app(conf, prog):
    """Build the WSGI app of ``prog`` from its paste file and flavor.

    Paste factories receive ``conf`` through :func:`conf_from_paste`, so nothing below
    them reads a global configuration.
    """
    path = find_paste_config(conf, prog)
    name = pipeline_name(conf, prog)
    key = str(next(_LOAD_COUNTER))
    _LOADING[key] = (conf, {})
    try:
        return deploy.loadapp('config:%s' % path, name=name,
                              global_conf={'glance_lite_conf': key})
    except LookupError as e:
        raise RuntimeError('Unable to load %s from configuration file %s.\nGot: %r'
                           % (name, path, e))
    finally:
        _LOADING.pop(key, None)


def conf_from_paste(global_conf):
    """The ConfigOpts that :func:`load_paste_app` is building an app for."""
    return _loading(global_conf)[0]


def shared_in_load(global_conf, name, build):
    """The object ``name`` shared by every factory of one :func:`load_paste_app`
    call, made by ``build(conf)`` on first use.  A reload (a new load) builds anew."""
    conf, shared = _loading(global_conf)
    if name not in shared:
        shared[name] = build(conf)
    return shared[name]


def _loading(global_conf):
    try:
        return _LOADING[global_conf['glance_lite_conf']]
    except KeyError:
        raise RuntimeError('glance_lite paste factories must be loaded through '
                           'glance_lite.common.config.load_paste_app')
