"""The real glance-manage console script against SQLite, MySQL and PostgreSQL."""
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from glance_lite.db import api as db_api
from glance_lite.db import migration, models
from tests.unit.db.dbtest import backdate, make_image, user

GLANCE_MANAGE = os.path.join(os.path.dirname(sys.executable), 'glance-manage')
HEADS = ['rocky_contract02', 'rocky_expand02']
UP_TO_DATE = 'Database is up to date. No migrations needed.'
OLD_ID = '01d1d000-0000-4000-8000-000000000001'


def write_conf(path, url):
    path.write_text('[database]\nconnection = %s\n' % url)
    return path


def manage(*args, conf=None, cwd=None):
    """Run glance-manage; returns (exit status, stdout, stderr)."""
    argv = [GLANCE_MANAGE] + (['--config-file', str(conf)] if conf else []) + list(args)
    env = dict(os.environ, HOME=str(cwd) if cwd else os.environ.get('HOME', '/'))
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=cwd,
                          env=env)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def sqlite_conf(tmp_path):
    return write_conf(tmp_path / 'glance-manage.conf',
                      'sqlite:///%s' % (tmp_path / 'glance.sqlite'))


def test_no_arguments_prints_the_categories():
    status, out, _ = manage()
    assert status == 2
    assert out == 'glance-manage category action [<args>]\nAvailable categories:\n\tdb\n'


@pytest.mark.parametrize('spelling', [('db_sync',), ('db', 'sync')])
def test_sync_version_and_check(sqlite_conf, spelling):
    version = ('db_version',) if spelling == ('db_sync',) else ('db', 'version')
    check = ('db_check',) if spelling == ('db_sync',) else ('db', 'check')

    status, out, _ = manage(*version, conf=sqlite_conf)
    assert status == 0 and 'please run "glance-manage db sync"' in out

    status, out, err = manage(*spelling, conf=sqlite_conf)
    assert status == 0, err
    assert out.splitlines()[-1] == 'Database is synced successfully.'

    status, out, _ = manage(*version, conf=sqlite_conf)
    assert (status, out.split()) == (0, HEADS)
    assert manage(*spelling, conf=sqlite_conf)[:2] == (0, UP_TO_DATE + '\n')
    assert manage(*check, conf=sqlite_conf)[:2] == (
        0, 'Database is up to date. No upgrades needed.\n')


def test_rolling_upgrade_flow_with_check_exit_codes(sqlite_conf, tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'glance.sqlite')
    assert manage('db', 'check', conf=sqlite_conf)[0] == 3
    assert manage('db_upgrade', 'mitaka02', conf=sqlite_conf)[:2] == (
        0, 'Upgraded database to: mitaka02, current revision(s): mitaka02\n')
    engine = migration.engine_for(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO images (id, status, is_public, created_at, deleted, min_disk, "
            "min_ram, protected) VALUES ('%s', 'active', 1, '2016-01-01', 0, 0, 0, 0)"
            % OLD_ID)
    engine.dispose()

    status, _, err = manage('db', 'contract', conf=sqlite_conf)
    assert status == 1 and err.startswith('Database contraction did not run.')
    status, _, err = manage('db_migrate', conf=sqlite_conf)
    assert (status, err) == (1, 'Data migration did not run. Data migration cannot be run '
                                'before database expansion. Run database expansion first '
                                'using "glance-manage db expand"\n')
    assert manage('db', 'check', conf=sqlite_conf)[0] == 3

    status, out, err = manage('db', 'expand', conf=sqlite_conf)
    assert status == 0, err
    assert 'rocky_expand02' in out
    assert manage('db_expand', conf=sqlite_conf)[:2] == (
        0, 'Database expansion is up to date. No expansion needed.\n')
    status, out, _ = manage('db', 'check', conf=sqlite_conf)
    assert (status, out) == (4, 'Your database is not up to date. Your next step is to '
                                'run `glance-manage db migrate`.\n')
    status, _, err = manage('db_contract', conf=sqlite_conf)
    assert status == 1 and 'Run data migration using "glance-manage db migrate".' in err

    assert manage('db', 'migrate', conf=sqlite_conf)[:2] == (0, 'Migrated 1 rows\n')
    assert manage('db', 'migrate', conf=sqlite_conf)[:2] == (
        0, 'Database migration is up to date. No migration needed.\n')
    assert manage('db_check', conf=sqlite_conf)[0] == 5

    status, out, err = manage('db', 'contract', conf=sqlite_conf)
    assert status == 0, err
    assert manage('db', 'check', conf=sqlite_conf)[0] == 0
    assert migration.current_heads(url) == HEADS
    db = db_api.Database(url)
    try:
        assert db_api.image_get(db, user('x'), OLD_ID)['visibility'] == 'public'
    finally:
        db.dispose()


def test_upgrade_and_version_control(sqlite_conf):
    assert manage('db', 'version_control', conf=sqlite_conf)[:2] == (
        0, 'Placed database under migration control at revision: liberty\n')
    assert manage('db', 'version', conf=sqlite_conf)[1] == 'liberty\n'
    # liberty was only stamped: the tables do not exist, so upgrading from it fails.
    status, _, err = manage('db', 'upgrade', conf=sqlite_conf)
    assert status == 1 and err.startswith('ERROR: ')
    assert manage('db_version_control', 'rocky_contract02', conf=sqlite_conf)[0] == 0
    assert manage('db', 'version', conf=sqlite_conf)[1].split() == HEADS


@pytest.mark.parametrize('args, message', [
    (('db', 'purge', '--age_in_days', 'x'), 'Invalid int value for age_in_days: x'),
    (('db_purge', 'x'), 'Invalid int value for age_in_days: x'),
    (('db_purge', '30', 'lots'), 'Invalid int value for max_rows: lots'),
    (('db', 'purge', '--age_in_days', '-1'), 'Must supply a non-negative value for age.'),
    (('db', 'purge_images_table', '--age_in_days', '100000'),
     'Maximal age is count of days since epoch.'),
    (('db_purge_images_table', '10', '0'), 'Minimal rows limit is 1.'),
])
def test_purge_validation(sqlite_conf, args, message):
    status, out, err = manage(*args, conf=sqlite_conf)
    assert (status, out, err) == (1, '', message + '\n')


def test_purge_removes_old_soft_deleted_rows(sqlite_conf, tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'glance.sqlite')
    assert manage('db_sync', conf=sqlite_conf)[0] == 0
    db = db_api.Database(url)
    owner = user('tenant')
    try:
        old = make_image(db, owner, properties={'a': '1'}, locations=['file:///old'])
        recent = make_image(db, owner, properties={'a': '1'})
        live = make_image(db, owner, properties={'a': '1'})
        for image in (old, recent):
            db_api.image_destroy(db, owner, image['id'])
        backdate(db, models.Image, 200, id=old['id'])
        backdate(db, models.ImageProperty, 200, image_id=old['id'])
        backdate(db, models.ImageLocation, 200, image_id=old['id'])

        def rows(model):
            with db.engine.connect() as conn:
                return sorted(conn.execute(sa.select(model.image_id)).scalars()) \
                    if model is not models.Image else \
                    sorted(conn.execute(sa.select(model.id)).scalars())

        assert manage('db', 'purge', conf=sqlite_conf) == (0, '', '')
        assert rows(models.ImageProperty) == sorted([recent['id'], live['id']])
        assert rows(models.ImageLocation) == []
        assert rows(models.Image) == sorted([old['id'], recent['id'], live['id']])

        assert manage('db_purge_images_table', '300', conf=sqlite_conf)[0] == 0
        assert rows(models.Image) == sorted([old['id'], recent['id'], live['id']])
        assert manage('db', 'purge_images_table', conf=sqlite_conf)[0] == 0
        assert rows(models.Image) == sorted([recent['id'], live['id']])
    finally:
        db.dispose()


def test_manage_conf_overrides_api_and_registry_conf(tmp_path):
    """Config files are found in the search dirs; glance-manage.conf wins."""
    for name in ('glance-registry', 'glance-api', 'glance-manage'):
        write_conf(tmp_path / ('%s.conf' % name),
                   'sqlite:///%s' % (tmp_path / ('%s.sqlite' % name)))
    status, out, err = manage('db_sync', cwd=tmp_path)
    assert status == 0, err
    assert (tmp_path / 'glance-manage.sqlite').exists()
    assert not (tmp_path / 'glance-api.sqlite').exists()
    assert not (tmp_path / 'glance-registry.sqlite').exists()


def test_unusable_configuration_is_one_error_line(tmp_path):
    status, _, err = manage('db', 'version', conf=tmp_path / 'missing.conf')
    assert status == 1 and err.startswith('ERROR: ')
    empty = tmp_path / 'empty.conf'
    empty.write_text('[database]\n')
    status, _, err = manage('db', 'version', conf=empty)
    assert (status, err) == (1, 'ERROR: No database connection configured: set '
                                '[database] connection\n')


@pytest.mark.parametrize('db_kind', ['mysql', 'postgresql'])
def test_sync_on_server_databases(empty_db_url, db_kind, tmp_path):
    conf = write_conf(tmp_path / 'glance-manage.conf', empty_db_url)
    assert manage('db', 'check', conf=conf)[0] == 3
    status, out, err = manage('db_sync', conf=conf)
    assert status == 0, err
    assert out.splitlines()[-1] == 'Database is synced successfully.'
    assert manage('db', 'version', conf=conf)[1].split() == HEADS
    assert manage('db', 'check', conf=conf)[0] == 0
    if db_kind == 'postgresql':
        assert manage('db', 'expand', conf=conf)[:3] == (
            1, '', 'Rolling upgrades are currently supported only for MySQL and Sqlite\n')
    else:
        assert manage('db', 'expand', conf=conf)[:2] == (0, UP_TO_DATE + '\n')
