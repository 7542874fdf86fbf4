"""glance-manage: create, upgrade, check and purge the image database (cli.md §3).

Every command exists in two spellings, ``glance-manage db sync`` and the legacy
``glance-manage db_sync`` (which also takes its arguments positionally, e.g.
``db_upgrade rocky_expand02`` or ``db_purge 30 100``).  Configuration:
glance-registry.conf, then glance-api.conf, then glance-manage.conf (later files win),
each after glance.conf; ``[database] connection`` is what matters.
"""
import logging
import sys
import time

from oslo_config import cfg
from oslo_log import log
from sqlalchemy import exc as sa_exc

from glance_lite.common import config, exception
from glance_lite import conf as glance_conf
from glance_lite.db import api as db_api
from glance_lite.db import migration

LOG = logging.getLogger(__name__)

PROG = 'glance-manage'
CATEGORIES = ('db',)

EXPAND_FIRST = 'Run database expansion first using "glance-manage db expand"'
NOT_UP_TO_DATE = 'Your database is not up to date. '
PURGE_FAILED = 'Purge command failed, check glance-manage logs for more details.'


class CommandFailed(Exception):
    """A command could not do its job: the message goes to stderr, exit status 1."""


class DbCommands:
    """The ``db`` commands; each returns the exit status and prints its outcome."""

    def __init__(self, conf):
        self.conf = conf
        self.url = conf.database.connection
        if not self.url:
            raise CommandFailed('ERROR: No database connection configured: set '
                                '[database] connection')

    # -- reading the state

    def _heads(self):
        return migration.current_heads(self.url)

    def _require_rolling_engine(self):
        if migration.dialect_name(self.url) not in migration.ROLLING_UPGRADE_DIALECTS:
            raise CommandFailed('Rolling upgrades are currently supported only for '
                                'MySQL and Sqlite')

    def _sync_to(self, version):
        heads = migration.upgrade(self.url, version)
        revisions = ', '.join(heads)
        if version == 'heads':
            print('Upgraded database, current revision(s): %s' % revisions)
        else:
            print('Upgraded database to: %s, current revision(s): %s'
                  % (version, revisions))
        return heads

    # -- commands

    def version(self):
        heads = self._heads()
        if not heads:
            print('Database is either not under migration control or under legacy '
                  'migration control, please run "glance-manage db sync" to place the '
                  'database under alembic migration control.')
        for head in heads:
            print(head)
        return 0

    def upgrade(self, version=None):
        self._sync_to(version or 'heads')
        return 0

    def version_control(self, version=None):
        version = version or migration.INIT_VERSION
        migration.stamp(self.url, version)
        print('Placed database under migration control at revision: %s' % version)
        return 0

    def sync(self, version=None):
        """Offline upgrade on any engine: expand, migrate data, contract.

        Stein ignores ``version``; the user documentation says sync upgrades "to the
        specified VERSION", so a given version is honoured (as ``db upgrade`` does).
        """
        if version:
            self._sync_to(version)
            print('Database is synced successfully.')
            return 0
        contract_head = migration.branch_head(migration.CONTRACT_BRANCH)
        if contract_head in self._heads():
            print('Database is up to date. No migrations needed.')
            return 0
        try:
            self.expand(online=False)
            self.migrate(online=False)
            self.contract(online=False)
        except (CommandFailed, exception.GlanceException, sa_exc.SQLAlchemyError) as e:
            LOG.debug('db sync failed', exc_info=True)
            raise CommandFailed('Failed to sync database: ERROR: %s' % e)
        print('Database is synced successfully.')
        return 0

    def expand(self, online=True):
        if online:
            self._require_rolling_engine()
        expand_head = migration.branch_head(migration.EXPAND_BRANCH)
        contract_head = migration.branch_head(migration.CONTRACT_BRANCH)
        heads = self._heads()
        if contract_head in heads:
            print('Database is up to date. No migrations needed.')
            return 0
        if expand_head in heads:
            print('Database expansion is up to date. No expansion needed.')
            return 0
        heads = self._sync_to(expand_head)
        if expand_head not in heads:
            raise CommandFailed(
                'Database expansion failed. Database expansion should have brought the '
                'database version up to "%s" revision. But, current revisions are: %s '
                % (expand_head, ', '.join(heads)))
        return 0

    def migrate(self, online=True):
        if online:
            self._require_rolling_engine()
        heads = self._heads()
        if migration.branch_head(migration.CONTRACT_BRANCH) in heads:
            print('Database is up to date. No migrations needed.')
            return 0
        if migration.branch_head(migration.EXPAND_BRANCH) not in heads:
            raise CommandFailed('Data migration did not run. Data migration cannot be '
                                'run before database expansion. ' + EXPAND_FIRST)
        if not migration.has_pending_data_migrations(self.url):
            print('Database migration is up to date. No migration needed.')
            return 0
        print('Migrated %d rows' % migration.migrate_data(self.url))
        return 0

    def contract(self, online=True):
        if online:
            self._require_rolling_engine()
        contract_head = migration.branch_head(migration.CONTRACT_BRANCH)
        heads = self._heads()
        if contract_head in heads:
            print('Database is up to date. No migrations needed.')
            return 0
        if migration.branch_head(migration.EXPAND_BRANCH) not in heads:
            raise CommandFailed('Database contraction did not run. Database contraction '
                                'cannot be run before database expansion. ' + EXPAND_FIRST)
        if migration.has_pending_data_migrations(self.url):
            raise CommandFailed('Database contraction did not run. Database contraction '
                                'cannot be run before data migration is complete. Run '
                                'data migration using "glance-manage db migrate".')
        heads = self._sync_to(contract_head)
        if contract_head not in heads:
            raise CommandFailed(
                'Database contraction failed. Database contraction should have brought '
                'the database version up to "%s" revision. But, current revisions are: '
                '%s ' % (contract_head, ', '.join(heads)))
        return 0

    def check(self):
        """Exit 0 when up to date, else 3/4/5: the next rolling-upgrade step to run."""
        heads = self._heads()
        if migration.branch_head(migration.CONTRACT_BRANCH) in heads:
            print('Database is up to date. No upgrades needed.')
            return 0
        if migration.branch_head(migration.EXPAND_BRANCH) not in heads:
            print(NOT_UP_TO_DATE + 'Your first step is to run `glance-manage db expand`.')
            return 3
        if migration.has_pending_data_migrations(self.url):
            print(NOT_UP_TO_DATE + 'Your next step is to run `glance-manage db migrate`.')
            return 4
        print(NOT_UP_TO_DATE + 'Your next step is to run `glance-manage db contract`.')
        return 5

    def purge(self, age_in_days=None, max_rows=None):
        """Hard-delete soft-deleted rows older than N days (images excepted)."""
        return self._purge(db_api.purge_deleted_rows, age_in_days, 30, max_rows)

    def purge_images_table(self, age_in_days=None, max_rows=None):
        """Hard-delete soft-deleted images older than N days."""
        return self._purge(db_api.purge_deleted_images, age_in_days, 180, max_rows)

    def _purge(self, purge, age_in_days, default_age, max_rows):
        age_in_days = _int_arg('age_in_days', age_in_days, default_age)
        max_rows = _int_arg('max_rows', max_rows, 100)
        if age_in_days < 0:
            raise CommandFailed('Must supply a non-negative value for age.')
        if age_in_days >= int(time.time()) // 86400:
            raise CommandFailed('Maximal age is count of days since epoch.')
        if max_rows < 1:
            raise CommandFailed('Minimal rows limit is 1.')
        db = db_api.Database.from_conf(self.conf)
        try:
            purge(db, age_in_days, max_rows)
        except exception.Invalid as e:
            raise CommandFailed(e.msg)
        except sa_exc.IntegrityError:
            LOG.exception('Purge failed')
            raise CommandFailed(PURGE_FAILED)
        finally:
            db.dispose()
        return 0


def _int_arg(name, value, default):
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CommandFailed('Invalid int value for %s: %s' % (name, value))


# name → (options of the space form, positionals of the legacy form, help)
_VERSION_OPT = ('--version', {'dest': 'version', 'metavar': 'VERSION',
                              'help': 'Alembic revision (default: see the command).'})
_PURGE_OPTS = [
    ('--age_in_days', {'dest': 'age_in_days', 'metavar': 'N',
                       'help': 'Purge deleted rows older than N days.'}),
    ('--max_rows', {'dest': 'max_rows', 'metavar': 'M',
                    'help': 'Remove at most M rows per table (default 100).'}),
]
ACTIONS = {
    'version': ([], [], 'Print the current revision of each migration branch.'),
    'upgrade': ([_VERSION_OPT], ['version'],
                'Upgrade the schema to VERSION (default: heads).'),
    'version_control': ([_VERSION_OPT], ['version'],
                        'Record VERSION (default: liberty) without migrating.'),
    'sync': ([_VERSION_OPT], ['version'],
             'Upgrade completely: expand, migrate data, contract (any engine).'),
    'expand': ([], [], 'Rolling upgrade step 1: add the new schema (MySQL, SQLite).'),
    'migrate': ([], [], 'Rolling upgrade step 2: migrate the data.'),
    'contract': ([], [], 'Rolling upgrade step 3: remove the old schema.'),
    'check': ([], [], 'Tell the next upgrade step (exit 0, 3, 4 or 5).'),
    'purge': (_PURGE_OPTS, ['age_in_days', 'max_rows'],
              'Hard-delete soft-deleted rows older than N days (default 30), '
              'images excepted.'),
    'purge_images_table': (_PURGE_OPTS, ['age_in_days', 'max_rows'],
                           'Hard-delete soft-deleted images older than N days '
                           '(default 180).'),
}


def _add_action(parser, action, legacy):
    options, positionals, _ = ACTIONS[action]
    for flag, kwargs in options:
        parser.add_argument(flag, **kwargs)
    if legacy:
        for name in positionals:
            parser.add_argument('legacy_' + name, nargs='?', metavar=name.upper())
    parser.set_defaults(action=action)


def _add_command_parsers(subparsers):
    db = subparsers.add_parser('db', help='Database commands.')
    actions = db.add_subparsers(dest='action', metavar='<action>')
    actions.required = True
    for action in ACTIONS:
        _add_action(actions.add_parser(action, help=ACTIONS[action][2]), action,
                    legacy=False)
    for action in ACTIONS:
        _add_action(subparsers.add_parser('db_' + action, help=ACTIONS[action][2]),
                    action, legacy=True)


def _action_args(command):
    """Keyword arguments of the chosen action: options, or legacy positionals."""
    action = command.action
    kwargs = {}
    options, positionals, _ = ACTIONS[action]
    for name in {kw['dest'] for _, kw in options} | set(positionals):
        value = getattr(command, name, None)
        if value is None and name in positionals:
            value = getattr(command, 'legacy_' + name, None)
        if value is not None:
            kwargs[name] = value
    return kwargs


def _print_usage():
    print('%s category action [<args>]' % PROG)
    print('Available categories:')
    for category in CATEGORIES:
        print('\t%s' % category)


def _default_config_files():
    files = []
    for prog in ('glance-registry', 'glance-api', 'glance-manage'):
        for path in config.find_config_files(prog):
            if path not in files:
                files.append(path)
    return files


def _setup(argv):
    conf = cfg.ConfigOpts()
    conf.register_cli_opt(cfg.SubCommandOpt('command', title='Commands',
                                            handler=_add_command_parsers))
    log.register_options(conf)
    conf.set_default('use_stderr', True)
    glance_conf.register_manage_opts(conf)
    config.parse_args(conf, PROG, argv, default_config_files=_default_config_files())
    log.setup(conf, 'glance')
    if not conf.debug:
        # The man page: WARNING unless --debug (alembic's INFO chatter included).
        logging.getLogger().setLevel(logging.WARNING)
    return conf


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        _print_usage()
        return 2
    try:
        conf = _setup(argv)
    except (cfg.Error, RuntimeError) as e:
        sys.stderr.write('ERROR: %s\n' % e)
        return 1
    command = conf.command
    try:
        commands = DbCommands(conf)
        return getattr(commands, command.action)(**_action_args(command))
    except CommandFailed as e:
        sys.stderr.write('%s\n' % e)
        return 1
    except exception.GlanceException as e:
        sys.stderr.write('ERROR: %s\n' % e)
        return 1
    except sa_exc.SQLAlchemyError as e:
        LOG.debug('Database error', exc_info=True)
        sys.stderr.write('ERROR: %s\n' % (getattr(e, 'orig', None) or e))
        return 1


if __name__ == '__main__':
    sys.exit(main())
