"""The Database handle: configuration, SQLite settings, concurrent writers."""
import shutil
import sqlite3
import threading
import time

import pytest
import sqlalchemy
from oslo_config import cfg

from glance_lite import conf as glance_conf
from glance_lite.db import api as db_api
from tests.unit.db.dbtest import ADMIN, make_image


@pytest.fixture
def sqlite_url(database_pool, tmp_path):
    template = sqlalchemy.engine.make_url(database_pool.migrated('sqlite')).database
    path = tmp_path / 'glance.sqlite'
    shutil.copyfile(template, path)
    return 'sqlite:///%s' % path


def test_from_conf_reads_the_database_group(sqlite_url):
    conf = cfg.ConfigOpts()
    glance_conf.register_registry_opts(conf)
    conf([], default_config_files=[])
    conf.set_override('connection', sqlite_url, group='database')
    conf.set_override('max_pool_size', 3, group='database')
    conf.set_override('max_retries', 0, group='database')
    db = db_api.Database.from_conf(conf)
    try:
        assert db.engine.pool.size() == 3
        assert db.max_retries == 0
        db.wait_until_reachable()
        make_image(db)
    finally:
        db.dispose()


def test_missing_connection_is_a_clear_error():
    with pytest.raises(ValueError) as err:
        db_api.Database(None)
    assert '[database] connection' in str(err.value)


def test_bare_scheme_urls_use_an_installed_driver():
    # No connection is made: building the engine needs an importable driver.
    for url in ('postgresql://glance:pw@127.0.0.1/glance',
                'mysql://glance:pw@127.0.0.1/glance'):
        db_api.Database(url).dispose()


def test_unreachable_database_gives_up_after_max_retries(tmp_path):
    db = db_api.Database('sqlite:///%s' % (tmp_path / 'missing-dir' / 'x.sqlite'),
                         max_retries=1, retry_interval=0)
    with pytest.raises(sqlalchemy.exc.OperationalError):
        db.wait_until_reachable()


def test_sqlite_connection_settings(sqlite_url):
    db = db_api.Database(sqlite_url, sqlite_synchronous=False)
    try:
        with db.engine.connect() as conn:
            def pragma(name):
                return conn.exec_driver_sql('PRAGMA %s' % name).scalar()
            assert pragma('journal_mode') == 'wal'
            assert pragma('foreign_keys') == 1
            assert pragma('busy_timeout') == 2000
            assert pragma('synchronous') == 1  # NORMAL
    finally:
        db.dispose()


def test_sqlite_concurrent_writers_all_succeed(sqlite_url):
    """Two "workers" (separate pools) with two threads each write at once."""
    databases = [db_api.Database(sqlite_url), db_api.Database(sqlite_url)]
    errors = []

    def write(db, n):
        try:
            for i in range(15):
                image = make_image(db, name='w%d-%d' % (n, i), properties={'i': str(i)})
                db_api.image_update(db, ADMIN, image['id'], {'status': 'active',
                                                             'properties': {'j': 'x'}})
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(databases[n % 2], n))
               for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert errors == []
        assert len(db_api.image_get_all(databases[0], ADMIN)) == 60
    finally:
        for db in databases:
            db.dispose()


def test_sqlite_write_waits_out_a_long_lock(sqlite_url):
    """A lock held longer than the busy timeout: the transaction is retried."""
    db = db_api.Database(sqlite_url, sqlite_busy_timeout_ms=20)
    path = sqlalchemy.engine.make_url(sqlite_url).database
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute('BEGIN IMMEDIATE')
    release = threading.Timer(0.5, holder.execute, args=('COMMIT',))
    started = time.monotonic()
    release.start()
    try:
        image = make_image(db, name='patient')
        assert time.monotonic() - started >= 0.4
        assert db_api.image_get(db, ADMIN, image['id'])['name'] == 'patient'
    finally:
        release.join()
        holder.close()
        db.dispose()
