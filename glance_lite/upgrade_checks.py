"""The checks behind ``glance-status upgrade check`` (cli.md §8).

Each check returns an ``oslo_upgradecheck`` Result: Success, Warning (look at it, the
upgrade may be fine) or Failure (fix it first).  They read the configuration the
command was given and touch the database and the default store the way the services
will: the database must be at this release's newest revision, option values must be
valid and consistent, and the default store must take and give back a small object.
"""
import glob
import io
import os
import uuid

from oslo_config import cfg
from oslo_upgradecheck import upgradecheck
from sqlalchemy import exc as sa_exc

from glance_lite import store
from glance_lite.common import crypt, exception
from glance_lite.db import migration

Code = upgradecheck.Code
Result = upgradecheck.Result

PROBE_PREFIX = 'glance-status-probe-'


class Checks(upgradecheck.UpgradeCommands):
    """:param conf: the parsed ConfigOpts.
    :param option_lists: ``[(group, [Opt])]`` of every option registered on ``conf``
        (what oslo-config-generator lists).
    """

    def __init__(self, conf, option_lists):
        self.conf = conf
        self.option_lists = option_lists
        self._sections = None

    # -- database ---------------------------------------------------------------------

    def _check_database(self):
        url = self.conf.database.connection
        if not url:
            return Result(Code.FAILURE, 'No database is configured: set [database] '
                          'connection (glance-registry.conf has it; pass it with '
                          '--config-file).')
        try:
            heads = migration.current_heads(url)
            pending_data = migration.has_pending_data_migrations(url)
        except (sa_exc.SQLAlchemyError, exception.GlanceException) as e:
            return Result(Code.FAILURE, 'Cannot read the database schema version: %s'
                          % (getattr(e, 'orig', None) or e))
        return _database_result(heads, pending_data)

    # -- options ----------------------------------------------------------------------

    def _check_options(self):
        failures = self._invalid_values() + self._conflicts()
        warnings = self._deprecated_options() + self._misplaced_options()
        if failures:
            return Result(Code.FAILURE, ' '.join(failures + warnings))
        if warnings:
            return Result(Code.WARNING, ' '.join(warnings))
        return Result(Code.SUCCESS)

    def _each_option(self):
        for group, opts in self.option_lists:
            for opt in opts:
                yield group, opt

    def _invalid_values(self):
        found = []
        for group, opt in self._each_option():
            try:
                getattr(self.conf[group] if group else self.conf, opt.dest)
            except (cfg.ConfigFileValueError, ValueError) as e:
                section = group or 'DEFAULT'
                written = self._file_sections().get(section, {}).get(opt.dest, ['?'])
                # oslo.config wraps the converter's error in a longer message.
                reason = e.__context__ if isinstance(e.__context__, ValueError) else e
                found.append('[%s] %s = %s is not valid: %s.'
                             % (section, opt.name, written[-1], reason))
        return found

    def _conflicts(self):
        found = []
        key = _value(self.conf, None, 'metadata_encryption_key')
        if key:
            try:
                crypt.key_bytes(key)
            except ValueError as e:
                found.append('%s.' % e)
        return found

    def _deprecated_options(self):
        found = []
        sections = self._file_sections()
        for group, opt in self._each_option():
            if opt.deprecated_for_removal and self._set_in_files(group, opt):
                found.append('[%s] %s is deprecated for removal%s.'
                             % (group or 'DEFAULT', opt.name,
                                ': %s' % opt.deprecated_reason
                                if opt.deprecated_reason else ''))
            for old in opt.deprecated_opts:
                old_group = old.group or group or 'DEFAULT'
                old_name = old.name or opt.name
                if old_name in sections.get(old_group, {}):
                    found.append('[%s] %s is a deprecated name of [%s] %s.'
                                 % (old_group, old_name, group or 'DEFAULT', opt.name))
        return found

    def _set_in_files(self, group, opt):
        try:
            where = self.conf.get_location(opt.dest, group)
        except (cfg.ConfigFileValueError, ValueError):
            return True  # an invalid value is still a value someone set
        return where is not None and where.location == cfg.Locations.user

    def _misplaced_options(self):
        """Options of a group written in [DEFAULT], where nothing reads them (older
        Glance releases kept store options there)."""
        in_default = set(self._file_sections().get('DEFAULT', {}))
        default_names = {opt.dest for group, opt in self._each_option() if group is None}
        found = []
        for group, opt in self._each_option():
            if group is not None and opt.dest in in_default \
                    and opt.dest not in default_names:
                found.append('[DEFAULT] %s is ignored: it belongs in [%s].'
                             % (opt.name, group))
        return found

    def _file_sections(self):
        """``{section: {name: [values]}}`` as written in the configuration files."""
        if self._sections is None:
            sections = {}
            for path in _config_files(self.conf):
                cfg.ConfigParser(path, sections).parse()
            self._sections = sections
        return self._sections

    # -- store ------------------------------------------------------------------------

    def _check_default_store(self):
        try:
            stores = store.load_stores(self.conf)
        except (exception.GlanceException, RuntimeError) as e:
            return Result(Code.FAILURE, 'The stores cannot be loaded: %s' % e)
        default = stores.default
        if store.Capability.WRITE not in default.capabilities:
            return Result(Code.FAILURE, 'The default store (%s) cannot store image data.'
                          % default.name)
        data = b'glance-status'
        try:
            uri, _size, _meta = default.add(PROBE_PREFIX + uuid.uuid4().hex,
                                            io.BytesIO(data), len(data))
            default.delete(uri)
        except exception.GlanceException as e:
            return Result(Code.FAILURE, 'The default store (%s) cannot store image data: '
                          '%s' % (default.name, e))
        return Result(Code.SUCCESS)

    _upgrade_checks = (
        ('Database schema version', _check_database),
        ('Configuration options', _check_options),
        ('Default store', _check_default_store),
    )


def _database_result(heads, pending_data):
    """The verdict on a database whose alembic heads are ``heads``."""
    expand = migration.branch_head(migration.EXPAND_BRANCH)
    contract = migration.branch_head(migration.CONTRACT_BRANCH)
    if not heads:
        return Result(Code.FAILURE, 'The database is not under migration control. Run '
                      '"glance-manage db sync".')
    if contract in heads and not pending_data:
        return Result(Code.SUCCESS)
    where = ('The database is at %s; this release needs %s and %s.'
             % (', '.join(heads), expand, contract))
    if expand not in heads:
        step = 'Run "glance-manage db sync" (or db expand, db migrate, db contract).'
    elif pending_data:
        step = 'Run "glance-manage db migrate", then "glance-manage db contract".'
    else:
        step = 'Run "glance-manage db contract".'
    return Result(Code.FAILURE, '%s %s' % (where, step))


def _value(conf, group, name):
    try:
        return getattr(conf[group] if group else conf, name)
    except (cfg.ConfigFileValueError, ValueError):
        return None


def _config_files(conf):
    files = list(conf.config_file or [])
    if conf.config_dir:
        files += sorted(glob.glob(os.path.join(conf.config_dir, '*.conf')))
    return files
