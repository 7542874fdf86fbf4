"""Database fixtures: the same tests run on SQLite, MariaDB/MySQL and PostgreSQL.

* ``db_kind`` — 'sqlite', 'mysql' or 'postgresql' (parametrized);
* ``db_url`` — URL of a database at the migration heads with empty tables: SQLite is a
  file in ``tmp_path`` (copied from a template migrated once per session); MySQL and
  PostgreSQL databases ``gl_<random>`` are created and migrated once per session,
  emptied before each test and dropped at the end;
* ``db`` — a :class:`glance_lite.db.api.Database` on ``db_url``;
* ``empty_db_url`` — a brand-new empty database (migration tests), dropped after.

Servers: MySQL ``root@127.0.0.1:3306`` (no password), PostgreSQL ``127.0.0.1:5432``
(trust; user postgres, else root); ``GLANCE_LITE_MYSQL_SERVER`` and
``GLANCE_LITE_POSTGRESQL_SERVER`` (admin URLs) point elsewhere.  An unreachable server
skips its tests, unless ``GLANCE_LITE_REQUIRE_DBS=1`` — then they fail.
"""
import os
import shutil
import uuid

import pytest
import sqlalchemy

from glance_lite.db import api as db_api
from glance_lite.db import migration, models

DB_KINDS = ('sqlite', 'mysql', 'postgresql')
REQUIRE_DBS = os.environ.get('GLANCE_LITE_REQUIRE_DBS') == '1'

# Overridable (one URL each) for machines where the servers live elsewhere.
MYSQL_SERVERS = tuple(filter(None, [os.environ.get('GLANCE_LITE_MYSQL_SERVER')])) or (
    'mysql+pymysql://root@127.0.0.1:3306/',)
POSTGRESQL_SERVERS = tuple(filter(None, [
    os.environ.get('GLANCE_LITE_POSTGRESQL_SERVER')])) or (
    'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres',
    'postgresql+psycopg2://root@127.0.0.1:5432/postgres')


class _Server:
    """A MySQL or PostgreSQL server where tests create throw-away databases."""

    def __init__(self, kind, admin_url):
        self.kind = kind
        self.admin_url = sqlalchemy.engine.make_url(admin_url)
        self.engine = sqlalchemy.create_engine(
            self.admin_url, isolation_level='AUTOCOMMIT', pool_size=1,
            connect_args={'connect_timeout': 5})
        with self.engine.connect() as conn:
            conn.exec_driver_sql('SELECT 1')

    def url_for(self, name):
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def create(self):
        name = 'gl_%s' % uuid.uuid4().hex[:12]
        with self.engine.connect() as conn:
            if self.kind == 'mysql':
                conn.exec_driver_sql('CREATE DATABASE %s CHARACTER SET utf8' % name)
            else:
                # template0: template1 may be busy with another test run's connection.
                conn.exec_driver_sql("CREATE DATABASE %s TEMPLATE template0 "
                                     "ENCODING 'UTF8'" % name)
        return name

    def drop(self, name):
        with self.engine.connect() as conn:
            if self.kind == 'postgresql':
                conn.exec_driver_sql(
                    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                    'WHERE datname = %(name)s AND pid <> pg_backend_pid()', {'name': name})
            conn.exec_driver_sql('DROP DATABASE IF EXISTS %s' % name)


def _connect_server(kind):
    candidates = MYSQL_SERVERS if kind == 'mysql' else POSTGRESQL_SERVERS
    errors = []
    for url in candidates:
        try:
            return _Server(kind, url)
        except sqlalchemy.exc.SQLAlchemyError as e:
            errors.append('%s: %s' % (url, getattr(e, 'orig', e)))
    return '; '.join(errors)


class _DatabasePool:
    """Session-wide bookkeeping: servers, migrated databases, what to drop at the end."""

    def __init__(self, tmp_dir):
        self.tmp_dir = tmp_dir
        self._servers = {}
        self._migrated = {}
        self._cleaners = {}
        self._created = []

    def server(self, kind):
        if kind not in self._servers:
            self._servers[kind] = _connect_server(kind)
        server = self._servers[kind]
        if isinstance(server, str):
            message = '%s server unreachable (%s)' % (kind, server)
            if REQUIRE_DBS:
                pytest.fail(message)
            pytest.skip(message)
        return server

    def fresh(self, kind, tmp_path):
        """URL of a new empty database, and a function that drops it."""
        if kind == 'sqlite':
            return 'sqlite:///%s' % (tmp_path / ('empty-%s.sqlite' % uuid.uuid4().hex)), \
                lambda: None
        server = self.server(kind)
        name = server.create()
        return server.url_for(name), lambda: server.drop(name)

    def migrated(self, kind):
        """URL of this session's database of ``kind`` at the heads (made once)."""
        if kind not in self._migrated:
            if kind == 'sqlite':
                url = 'sqlite:///%s' % (self.tmp_dir / 'template.sqlite')
            else:
                server = self.server(kind)
                name = server.create()
                self._created.append((server, name))
                url = server.url_for(name)
            migration.sync(url)
            self._migrated[kind] = url
        return self._migrated[kind]

    def emptied(self, kind):
        """The migrated database of ``kind`` with every table emptied."""
        url = self.migrated(kind)
        if kind not in self._cleaners:
            self._cleaners[kind] = migration.engine_for(url)
        with self._cleaners[kind].begin() as conn:
            for table in reversed(models.Base.metadata.sorted_tables):
                conn.execute(table.delete())
        return url

    def close(self):
        for engine in self._cleaners.values():
            engine.dispose()
        for server, name in self._created:
            server.drop(name)
        for server in self._servers.values():
            if not isinstance(server, str):
                server.engine.dispose()


@pytest.fixture(scope='session')
def database_pool(tmp_path_factory):
    pool = _DatabasePool(tmp_path_factory.mktemp('databases'))
    yield pool
    pool.close()


@pytest.fixture(params=DB_KINDS)
def db_kind(request):
    return request.param


@pytest.fixture
def db_url(db_kind, database_pool, tmp_path):
    """A database at the migration heads with empty tables (see module docstring)."""
    if db_kind == 'sqlite':
        template = database_pool.migrated('sqlite')
        path = tmp_path / 'glance.sqlite'
        shutil.copyfile(sqlalchemy.engine.make_url(template).database, path)
        return 'sqlite:///%s' % path
    return database_pool.emptied(db_kind)


@pytest.fixture
def db(db_url):
    database = db_api.Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def empty_db_url(db_kind, database_pool, tmp_path):
    url, drop = database_pool.fresh(db_kind, tmp_path)
    yield url
    drop()
