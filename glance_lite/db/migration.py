"""Alembic, driven from code: what glance-manage (and tests) use to shape a database.

The revisions keep Glance's ids and branch shape (spec/registry.md §7):
``liberty → mitaka01 → mitaka02`` then an ``expand`` branch (``ocata_expand01 …
rocky_expand02``) and a ``contract`` branch (``ocata_contract01 … rocky_contract02``),
each contract revision depending on its namesake.  Data migrations
(:mod:`glance_lite.db.migrations.data`) run between the two.

Functions take a SQLAlchemy URL (string) or an Engine; each opens its own short-lived
connection.  No alembic.ini is needed.
"""
import logging
import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
from alembic import util as alembic_util
import sqlalchemy
from sqlalchemy import pool

from glance_lite.common import exception
from glance_lite.db import engine as db_engine
from glance_lite.db.migrations import data as data_migrations

LOG = logging.getLogger(__name__)

EXPAND_BRANCH = 'expand'
CONTRACT_BRANCH = 'contract'
INIT_VERSION = 'liberty'
# sqlalchemy-migrate versions of databases created before Liberty's alembic switch.
LEGACY_VERSIONS = {42: 'liberty', 43: 'mitaka01', 44: 'mitaka02'}
ROLLING_UPGRADE_DIALECTS = ('mysql', 'sqlite')

_SCRIPT_LOCATION = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'migrations')


def engine_for(url_or_engine):
    """An Engine for migrations: a given Engine as is, else a pool-less one for ``url``.

    SQLite migrations need ``PRAGMA foreign_keys`` off (batch ALTERs rebuild tables),
    which is the default of a plain connection, not of :class:`db.engine.Database`.
    """
    if isinstance(url_or_engine, sqlalchemy.engine.Engine):
        return url_or_engine
    if not url_or_engine:
        raise exception.GlanceException('No database connection configured: set '
                                        '[database] connection')
    return sqlalchemy.create_engine(db_engine.make_url(url_or_engine),
                                    poolclass=pool.NullPool)


def _config(connection=None):
    config = alembic_config.Config()
    config.set_main_option('script_location', _SCRIPT_LOCATION)
    config.attributes['connection'] = connection
    return config


def _script():
    return alembic_script.ScriptDirectory.from_config(_config())


def branch_head(branch):
    """The head revision of ``branch`` ('expand' or 'contract')."""
    return _script().get_revision('%s@head' % branch).revision


def all_heads():
    return sorted(_script().get_heads())


def _with_connection(url_or_engine, fn):
    engine = engine_for(url_or_engine)
    try:
        with engine.connect() as connection:
            return fn(connection)
    finally:
        if engine is not url_or_engine:
            engine.dispose()


def current_heads(url_or_engine):
    """The current revision of each branch (sorted); [] when not under alembic.

    Alembic records only ``rocky_contract02`` once it is applied (the expand head is
    one of its dependencies); Glance reports both branch heads, so do we.
    """
    def read(connection):
        context = alembic_migration.MigrationContext.configure(connection)
        return context.get_current_heads()
    return _effective_heads(_with_connection(url_or_engine, read))


def _as_tuple(value):
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _effective_heads(recorded):
    script = _script()
    applied = set()
    pending = list(recorded)
    while pending:
        try:
            rev = script.get_revision(pending.pop())
        except alembic_util.CommandError:
            continue  # a revision this code does not know (newer Glance)
        if rev is None or rev.revision in applied:
            continue
        applied.add(rev.revision)
        pending.extend(_as_tuple(rev.down_revision) + _as_tuple(rev.dependencies))
    heads = set(recorded)
    for branch in (EXPAND_BRANCH, CONTRACT_BRANCH):
        rev = script.get_revision(branch_head(branch))
        while rev is not None and branch in rev.branch_labels:
            if rev.revision in applied:
                heads.add(rev.revision)
                break
            rev = script.get_revision(rev.down_revision)
    return sorted(heads)


def dialect_name(url_or_engine):
    engine = engine_for(url_or_engine)
    return engine.dialect.name


def _legacy_version(connection):
    inspector = sqlalchemy.inspect(connection)
    if 'migrate_version' not in inspector.get_table_names():
        return None
    row = connection.exec_driver_sql('SELECT version FROM migrate_version').first()
    return None if row is None else int(row[0])


def place_under_alembic_control(url_or_engine):
    """Stamp a database made by sqlalchemy-migrate (pre-Liberty tooling) into alembic.

    Nothing happens for databases already under alembic or empty ones.  Raises
    GlanceException for legacy versions older than Liberty's 42.
    """
    def place(connection):
        context = alembic_migration.MigrationContext.configure(connection)
        if context.get_current_heads():
            return None
        legacy = _legacy_version(connection)
        if legacy is None:
            return None
        if legacy < 42:
            raise exception.GlanceException(
                "Unable to place database under Alembic's migration control. Unknown "
                "database state, can't proceed further.")
        revision = LEGACY_VERSIONS.get(legacy, 'mitaka02')
        LOG.info("Placing legacy database (version %s) under Alembic's control at %s",
                 legacy, revision)
        return revision

    revision = _with_connection(url_or_engine, place)
    if revision is not None:
        stamp(url_or_engine, revision)


def _run(url_or_engine, action, revision):
    def go(connection):
        action(_config(connection), revision)
        if connection.in_transaction():
            connection.commit()
    _with_connection(url_or_engine, go)


def upgrade(url_or_engine, version='heads'):
    """Upgrade to ``version`` (a revision, 'heads', or 'expand@head'...); returns the
    revisions recorded afterwards."""
    place_under_alembic_control(url_or_engine)
    _run(url_or_engine, alembic_command.upgrade, version)
    return current_heads(url_or_engine)


def stamp(url_or_engine, version):
    """Record ``version`` without running anything."""
    _run(url_or_engine, alembic_command.stamp, version)


def has_pending_data_migrations(url_or_engine):
    return _with_connection(url_or_engine, data_migrations.has_pending)


def migrate_data(url_or_engine):
    """Run every data migration; returns the number of rows changed."""
    def go(connection):
        with connection.begin():
            return data_migrations.migrate(connection)
    return _with_connection(url_or_engine, go)


def sync(url_or_engine):
    """Offline upgrade to the heads: expand, data migrations, contract."""
    upgrade(url_or_engine, branch_head(EXPAND_BRANCH))
    migrate_data(url_or_engine)
    return upgrade(url_or_engine, branch_head(CONTRACT_BRANCH))
