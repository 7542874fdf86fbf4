"""One engine and connection pool per process, and short retried transactions.

:class:`Database` is built once (by a paste factory or a ``main()``) and passed to
every query function.  It owns the engine-specific settings Glance got from oslo.db
and the ones that keep SQLite usable under concurrent writers: WAL, a busy timeout,
foreign keys, ``BEGIN IMMEDIATE`` for transactions that write, and a retry of the
whole transaction when the database reports a lock or a deadlock.
"""
import importlib.util
import logging
import random
import time

import sqlalchemy
from sqlalchemy import event, exc as sa_exc, orm, pool

from glance_lite.db import models

LOG = logging.getLogger(__name__)

# SQLite waits this long inside one statement for a lock before reporting it;
# the whole transaction is then retried (with jitter) until RETRY_DEADLINE.
SQLITE_BUSY_TIMEOUT_MS = 2000
RETRY_DEADLINE = 30.0
RETRY_FIRST_DELAY = 0.02
RETRY_MAX_DELAY = 0.5

# MySQL: deadlock, lock wait timeout.  PostgreSQL: serialization failure, deadlock.
_MYSQL_RETRY_CODES = {1205, 1213}
_PG_RETRY_CODES = {'40001', '40P01'}


# Driver-less URLs ("postgresql://", "mysql://") name SQLAlchemy's default driver;
# use the one that is installed instead when the default is not.
_DRIVER_FALLBACKS = {
    'postgresql': ('psycopg', 'postgresql+psycopg2'),
    'mysql': ('MySQLdb', 'mysql+pymysql'),
}


def make_url(url):
    """The SQLAlchemy URL for ``url``, with an installed driver for bare schemes."""
    url = sqlalchemy.engine.make_url(url)
    fallback = _DRIVER_FALLBACKS.get(url.drivername)
    if fallback and importlib.util.find_spec(fallback[0]) is None:
        url = url.set(drivername=fallback[1])
    return url


def _is_retryable(error):
    """True when ``error`` means "another transaction was in the way; try again"."""
    orig = getattr(error, 'orig', None)
    if orig is None:
        return False
    text = str(orig).lower()
    if 'database is locked' in text or 'database is busy' in text:
        return True
    args = getattr(orig, 'args', ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_RETRY_CODES:
        return True
    return getattr(orig, 'pgcode', None) in _PG_RETRY_CODES


class Database:
    """The process-wide handle on the image database.

    :param url: SQLAlchemy URL (``[database] connection``).
    :param max_pool_size: connections kept in the pool (MySQL, PostgreSQL, SQLite file).
    :param max_overflow: extra connections allowed beyond the pool.
    :param pool_timeout: seconds to wait for a free connection (None: SQLAlchemy's 30).
    :param connection_recycle_time: seconds after which a pooled connection is renewed.
    :param mysql_sql_mode: ``sql_mode`` set on every MySQL connection ('' or None: leave).
    :param sqlite_synchronous: False relaxes SQLite's fsyncs (``synchronous=NORMAL``).
    :param max_retries: connection attempts made by :meth:`wait_until_reachable`.
    :param retry_interval: seconds between those attempts.
    :param sqlite_busy_timeout_ms: how long one SQLite statement waits for a lock
        before the whole transaction is retried.
    """

    def __init__(self, url, max_pool_size=5, max_overflow=50, pool_timeout=None,
                 connection_recycle_time=3600, mysql_sql_mode='TRADITIONAL',
                 sqlite_synchronous=True, max_retries=10, retry_interval=10,
                 sqlite_busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS):
        if not url:
            raise ValueError('No database connection configured: set '
                             '[database] connection')
        self.url = make_url(url)
        self.max_retries = max_retries
        self.retry_interval = retry_interval
        self.engine = self._create_engine(
            max_pool_size, max_overflow, pool_timeout, connection_recycle_time)
        self._install_connection_setup(mysql_sql_mode, sqlite_synchronous,
                                       sqlite_busy_timeout_ms)
        # Writers get BEGIN IMMEDIATE on SQLite (see _on_begin): same pool, other option.
        self._write_engine = self.engine.execution_options(glance_lite_write=True)
        self._read_sessions = orm.sessionmaker(bind=self.engine, expire_on_commit=False,
                                               autoflush=False)
        self._write_sessions = orm.sessionmaker(bind=self._write_engine,
                                                expire_on_commit=False, autoflush=False)

    @classmethod
    def from_conf(cls, conf):
        """A Database from the ``[database]`` options of ``conf``."""
        opts = conf.database
        return cls(opts.connection,
                   max_pool_size=opts.max_pool_size,
                   max_overflow=opts.max_overflow,
                   pool_timeout=opts.pool_timeout,
                   connection_recycle_time=opts.connection_recycle_time,
                   mysql_sql_mode=opts.mysql_sql_mode,
                   sqlite_synchronous=opts.sqlite_synchronous,
                   max_retries=opts.max_retries,
                   retry_interval=opts.retry_interval)

    @property
    def dialect(self):
        """'sqlite', 'mysql' or 'postgresql'."""
        return self.engine.dialect.name

    @property
    def is_sqlite(self):
        return self.dialect == 'sqlite'

    def _is_sqlite_memory(self):
        return self.url.get_backend_name() == 'sqlite' and \
            self.url.database in (None, '', ':memory:')

    def _create_engine(self, max_pool_size, max_overflow, pool_timeout, recycle):
        kwargs = {}
        if self.url.get_backend_name() == 'sqlite':
            # Workers are green threads: a connection may change thread between uses.
            kwargs['connect_args'] = {'check_same_thread': False}
            if self._is_sqlite_memory():
                # One shared connection, or every checkout would see a new empty database.
                kwargs['poolclass'] = pool.StaticPool
                return sqlalchemy.create_engine(self.url, **kwargs)
        else:
            # A server may have dropped an idle connection: test it on checkout.
            kwargs['pool_pre_ping'] = True
        kwargs.update(pool_size=max_pool_size, max_overflow=max_overflow,
                      pool_recycle=recycle)
        if pool_timeout is not None:
            kwargs['pool_timeout'] = pool_timeout
        return sqlalchemy.create_engine(self.url, **kwargs)

    def _install_connection_setup(self, mysql_sql_mode, sqlite_synchronous,
                                  busy_timeout_ms):
        dialect = self.dialect
        if dialect == 'sqlite':
            memory = self._is_sqlite_memory()

            @event.listens_for(self.engine, 'connect')
            def _sqlite_connect(dbapi_conn, record):
                # The driver's own transaction handling starts transactions late and
                # cannot do BEGIN IMMEDIATE; _on_begin issues BEGIN instead.
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                cur.execute('PRAGMA busy_timeout = %d' % busy_timeout_ms)
                cur.execute('PRAGMA foreign_keys = ON')
                if not memory:
                    cur.execute('PRAGMA journal_mode = WAL')
                cur.execute('PRAGMA synchronous = %s'
                            % ('FULL' if sqlite_synchronous else 'NORMAL'))
                cur.close()

            @event.listens_for(self.engine, 'begin')
            def _on_begin(conn):
                immediate = conn.get_execution_options().get('glance_lite_write')
                # Straight to the driver: this runs for every transaction, and a
                # statement through SQLAlchemy costs more than the read it precedes.
                conn.connection.driver_connection.execute(
                    'BEGIN IMMEDIATE' if immediate else 'BEGIN')

        elif dialect == 'mysql' and mysql_sql_mode:
            @event.listens_for(self.engine, 'connect')
            def _mysql_connect(dbapi_conn, record):
                cur = dbapi_conn.cursor()
                cur.execute('SET SESSION sql_mode = %s', [mysql_sql_mode])
                cur.close()

    def wait_until_reachable(self):
        """Connect once, retrying ``max_retries`` times (-1: forever) at start-up.

        Raises the last connection error when the database never answers.
        """
        attempt = 0
        while True:
            try:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql('SELECT 1')
                return
            except sa_exc.OperationalError as e:
                attempt += 1
                if self.max_retries != -1 and attempt > self.max_retries:
                    raise
                LOG.warning('Database %s not reachable (%s); retrying in %s s',
                            self.url.render_as_string(hide_password=True), e.orig,
                            self.retry_interval)
                time.sleep(self.retry_interval)

    def run(self, fn, write=False):
        """``fn(session)`` in one transaction; committed, retried on lock conflicts.

        ``fn`` may run more than once, so it must not have effects outside the session.
        Its return value is returned; ORM objects it returns are detached, plain
        values are what callers should return.
        """
        sessions = self._write_sessions if write else self._read_sessions
        return self._retrying(sessions.begin, fn)

    def read(self, fn):
        """``fn(connection)`` in one read transaction on a Core connection (no ORM
        session: reads that build plain dicts from rows); retried like :meth:`run`."""
        return self._retrying(self.engine.begin, fn)

    def _retrying(self, begin, fn):
        deadline = time.monotonic() + RETRY_DEADLINE
        delay = RETRY_FIRST_DELAY
        while True:
            try:
                with begin() as handle:
                    return fn(handle)
            except sa_exc.DBAPIError as e:
                if not _is_retryable(e) or time.monotonic() + delay > deadline:
                    raise
                LOG.debug('Transaction conflict (%s); retrying', e.orig)
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, RETRY_MAX_DELAY)

    def now(self):
        """The timestamp to store: MySQL's DATETIME keeps whole seconds only, so the
        value returned to callers is truncated the same way to match later reads."""
        now = models.utcnow()
        if self.dialect == 'mysql':
            return now.replace(microsecond=0)
        return now

    def dispose(self):
        """Close every pooled connection (tests, and before a fork)."""
        self.engine.dispose()
