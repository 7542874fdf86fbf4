"""Alembic migrations on SQLite, MySQL and PostgreSQL: heads, data migration, schema."""
import datetime

import pytest
import sqlalchemy as sa
from alembic import autogenerate
from alembic import migration as alembic_migration

from glance_lite.common import exception
from glance_lite.db import api as db_api
from glance_lite.db import migration, models
from tests.unit.db.dbtest import ADMIN, user

HEADS = ['rocky_contract02', 'rocky_expand02']
NOW = datetime.datetime(2017, 1, 1)


def inspect(url, fn):
    engine = migration.engine_for(url)
    try:
        with engine.connect() as conn:
            return fn(conn)
    finally:
        engine.dispose()


def schema_diff(url):
    def diff(conn):
        context = alembic_migration.MigrationContext.configure(
            conn, opts={'compare_type': True})
        return autogenerate.compare_metadata(context, models.Base.metadata)
    return inspect(url, diff)


def test_revision_graph_keeps_glance_ids():
    assert migration.all_heads() == HEADS
    assert migration.branch_head('expand') == 'rocky_expand02'
    assert migration.branch_head('contract') == 'rocky_contract02'


def test_empty_database_upgrades_to_the_models(empty_db_url):
    assert migration.current_heads(empty_db_url) == []
    assert migration.upgrade(empty_db_url) == HEADS
    assert migration.current_heads(empty_db_url) == HEADS
    assert schema_diff(empty_db_url) == []

    def indexes(conn):
        inspector = sa.inspect(conn)
        return {ix['name'] for ix in inspector.get_indexes('images')}
    assert {'checksum_image_idx', 'visibility_image_idx', 'ix_images_deleted',
            'owner_image_idx', 'created_at_image_idx', 'updated_at_image_idx',
            'os_hidden_image_idx', 'os_hash_value_image_idx'} <= inspect(empty_db_url,
                                                                         indexes)
    # The result is usable straight away.
    db = db_api.Database(empty_db_url)
    try:
        image = db_api.image_create(db, user('p'), {'status': 'queued'})
        assert db_api.image_get(db, ADMIN, image['id'])['visibility'] == 'shared'
    finally:
        db.dispose()


def _insert_mitaka_rows(url):
    """Images as Mitaka stored them: is_public, memberships, no visibility."""
    images = sa.table('images', sa.column('id'), sa.column('status'),
                      sa.column('is_public'), sa.column('created_at'),
                      sa.column('deleted'), sa.column('min_disk'), sa.column('min_ram'),
                      sa.column('protected'))
    members = sa.table('image_members', sa.column('image_id'), sa.column('member'),
                       sa.column('can_share'), sa.column('status'),
                       sa.column('created_at'), sa.column('deleted'))
    rows = {'public': True, 'with-member': False, 'with-deleted-member': False,
            'lonely': False, 'public-with-member': True}
    engine = migration.engine_for(url)
    with engine.begin() as conn:
        for name, is_public in rows.items():
            conn.execute(images.insert().values(
                id=name, status='active', is_public=is_public, created_at=NOW,
                deleted=False, min_disk=0, min_ram=0, protected=False))
        for image_id, deleted in (('with-member', False), ('with-deleted-member', True),
                                  ('public-with-member', False)):
            conn.execute(members.insert().values(
                image_id=image_id, member='tenant', can_share=False, status='accepted',
                created_at=NOW, deleted=deleted))
    engine.dispose()


EXPECTED_VISIBILITY = {'public': 'public', 'with-member': 'shared',
                       'with-deleted-member': 'private', 'lonely': 'private',
                       'public-with-member': 'public'}


def _visibilities(url):
    return dict(inspect(url, lambda conn: conn.exec_driver_sql(
        'SELECT id, visibility FROM images').fetchall()))


def test_ocata_data_migration_between_expand_and_contract(empty_db_url):
    assert migration.upgrade(empty_db_url, 'mitaka02') == ['mitaka02']
    _insert_mitaka_rows(empty_db_url)
    assert migration.upgrade(empty_db_url, 'expand@head') == ['rocky_expand02']
    assert migration.has_pending_data_migrations(empty_db_url)
    assert migration.migrate_data(empty_db_url) == 5
    assert not migration.has_pending_data_migrations(empty_db_url)
    assert migration.migrate_data(empty_db_url) == 0
    assert migration.upgrade(empty_db_url, 'contract@head') == HEADS
    assert _visibilities(empty_db_url) == EXPECTED_VISIBILITY
    columns = inspect(empty_db_url, lambda conn: {
        c['name'] for c in sa.inspect(conn).get_columns('images')})
    assert 'is_public' not in columns
    assert schema_diff(empty_db_url) == []


def test_plain_upgrade_from_mitaka_also_migrates_the_data(empty_db_url):
    migration.upgrade(empty_db_url, 'mitaka02')
    _insert_mitaka_rows(empty_db_url)
    assert migration.upgrade(empty_db_url) == HEADS
    assert _visibilities(empty_db_url) == EXPECTED_VISIBILITY
    db = db_api.Database(empty_db_url)
    try:
        shown = db_api.image_get_all(db, user('tenant'), v1_mode=True)
        assert sorted(i['id'] for i in shown) == ['public', 'public-with-member',
                                                  'with-member']
    finally:
        db.dispose()


def test_sync_is_expand_migrate_contract(empty_db_url):
    migration.upgrade(empty_db_url, 'mitaka02')
    _insert_mitaka_rows(empty_db_url)
    assert migration.sync(empty_db_url) == HEADS
    assert _visibilities(empty_db_url) == EXPECTED_VISIBILITY


def _make_legacy(url, version):
    """A database as sqlalchemy-migrate (before alembic) left it at ``version``."""
    migration.upgrade(url, 'mitaka02')
    engine = migration.engine_for(url)
    with engine.begin() as conn:
        conn.exec_driver_sql('DROP TABLE alembic_version')
        conn.exec_driver_sql('CREATE TABLE migrate_version (repository_id VARCHAR(250) '
                             'NOT NULL PRIMARY KEY, repository_path TEXT, version INTEGER)')
        conn.exec_driver_sql("INSERT INTO migrate_version VALUES ('Glance Migrations', "
                             "'/x', %d)" % version)
    engine.dispose()


def test_legacy_databases_are_stamped_then_upgraded(empty_db_url):
    _make_legacy(empty_db_url, 44)
    assert migration.current_heads(empty_db_url) == []
    assert migration.upgrade(empty_db_url) == HEADS
    # Glance leaves sqlalchemy-migrate's bookkeeping table in place; so do we.
    assert [d[1].name for d in schema_diff(empty_db_url)] == ['migrate_version']


@pytest.mark.parametrize('db_kind', ['sqlite'])
def test_too_old_legacy_databases_are_refused(empty_db_url):
    _make_legacy(empty_db_url, 40)
    with pytest.raises(exception.GlanceException) as err:
        migration.upgrade(empty_db_url)
    assert "Unable to place database under Alembic's migration control" in str(err.value)


def test_mitaka02_renames_the_nova_instance_resource_type(empty_db_url):
    migration.upgrade(empty_db_url, 'mitaka01')
    engine = migration.engine_for(empty_db_url)
    with engine.begin() as conn:
        conn.execute(models.MetadefResourceType.__table__.insert().values(
            id=1, name='OS::Nova::Instance', protected=True, created_at=NOW))
    engine.dispose()
    migration.upgrade(empty_db_url)
    names = inspect(empty_db_url, lambda conn: conn.exec_driver_sql(
        'SELECT name FROM metadef_resource_types').scalars().all())
    assert names == ['OS::Nova::Server']
