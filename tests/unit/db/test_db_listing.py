"""image_get_all: visibility, filters, sort orders and marker paging on every engine."""
import datetime

import pytest
from sqlalchemy import update

from glance_lite.common import exception
from glance_lite.db import api as db_api
from glance_lite.db import models
from tests.unit.db.dbtest import ADMIN, anonymous, ids, make_image, user
from tools.bench import query_plans

ALICE = user('alice')
BOB = user('bob')


def names(images):
    return sorted(i['name'] for i in images)


@pytest.fixture
def world(db):
    """One image of every kind of visibility owned by alice, bob's share of some."""
    made = {}
    for name, visibility in (('public', 'public'), ('community', 'community'),
                             ('private', 'private'), ('shared-none', 'shared'),
                             ('shared-pending', 'shared'), ('shared-accepted', 'shared'),
                             ('shared-rejected', 'shared'), ('shared-deleted', 'shared')):
        made[name] = make_image(db, ALICE, name=name, visibility=visibility)
    for name, status in (('shared-pending', 'pending'), ('shared-accepted', 'accepted'),
                         ('shared-rejected', 'rejected'), ('shared-deleted', 'accepted')):
        member = db_api.image_member_create(db, ALICE, {'image_id': made[name]['id'],
                                                        'member': 'bob', 'status': status})
    db_api.image_member_delete(db, ALICE, member['id'])
    made['bob-own'] = make_image(db, BOB, name='bob-own', visibility='private')
    made['bob-community'] = make_image(db, BOB, name='bob-community',
                                       visibility='community')
    made['admin-owned'] = make_image(db, ADMIN, name='admin-owned', owner=None,
                                     visibility='private')
    return made


ALICE_ALL = ['community', 'private', 'public', 'shared-accepted', 'shared-deleted',
             'shared-none', 'shared-pending', 'shared-rejected']


def test_v2_regular_user_sees_accepted_shares_and_no_foreign_community(db, world):
    assert names(db_api.image_get_all(db, BOB)) == [
        'bob-community', 'bob-own', 'public', 'shared-accepted']
    assert names(db_api.image_get_all(db, BOB, member_status='pending')) == [
        'bob-community', 'bob-own', 'public', 'shared-pending']
    assert names(db_api.image_get_all(db, BOB, member_status='all')) == [
        'bob-community', 'bob-own', 'public', 'shared-accepted', 'shared-pending',
        'shared-rejected']
    assert names(db_api.image_get_all(db, ALICE)) == ALICE_ALL


def test_v2_visibility_filter(db, world):
    assert names(db_api.image_get_all(db, BOB, filters={'visibility': 'community'})) == [
        'bob-community', 'community']
    assert names(db_api.image_get_all(db, BOB, filters={'visibility': 'all'})) == [
        'bob-community', 'bob-own', 'community', 'public', 'shared-accepted']
    assert names(db_api.image_get_all(db, BOB, filters={'visibility': 'private'})) == [
        'bob-own']
    both = {'visibility': ['public', 'shared']}
    assert names(db_api.image_get_all(db, BOB, filters=both)) == ['public',
                                                                  'shared-accepted']
    with pytest.raises(exception.Invalid):
        db_api.image_get_all(db, BOB, filters={'visibility': 'everyone'})


def test_v2_admin_and_anonymous(db, world):
    everything = sorted(world)
    assert names(db_api.image_get_all(db, ADMIN, filters={'visibility': 'all'})) == \
        everything
    # Without a visibility filter nobody lists other people's community images.
    assert names(db_api.image_get_all(db, ADMIN)) == [
        n for n in everything if 'community' not in n]
    # An owner-less caller lists owner-less images as its own (Glance's owner IS NULL
    # match), which is what the no-auth pipelines rely on.
    assert names(db_api.image_get_all(db, ADMIN, admin_as_user=True)) == [
        'admin-owned', 'public']
    assert names(db_api.image_get_all(db, anonymous())) == ['admin-owned', 'public']


def test_v1_regular_user(db, world):
    assert names(db_api.image_get_all(db, BOB, v1_mode=True)) == [
        'bob-community', 'bob-own', 'public', 'shared-accepted', 'shared-pending',
        'shared-rejected']
    assert names(db_api.image_get_all(db, ALICE, v1_mode=True)) == ALICE_ALL


def test_v1_admin_is_public(db, world):
    everything = sorted(world)
    assert names(db_api.image_get_all(db, ADMIN, v1_mode=True)) == everything
    assert names(db_api.image_get_all(db, ADMIN, v1_mode=True, is_public=True)) == \
        ['admin-owned', 'public']
    assert names(db_api.image_get_all(db, ADMIN, v1_mode=True, is_public=False)) == [
        n for n in everything if n != 'public']
    admin_alice = user('alice')
    admin_alice.is_admin = True
    assert names(db_api.image_get_all(db, admin_alice, v1_mode=True, is_public=True)) \
        == ALICE_ALL


# ---------------------------------------------------------------- filters

@pytest.fixture
def catalog(db):
    """Images that differ in every filterable attribute."""
    a = make_image(db, ALICE, name='a', disk_format='qcow2', container_format='bare',
                   size=100, min_ram=512, min_disk=1, checksum='1' * 32,
                   os_hash_value='f' * 128, protected=True,
                   properties={'os_distro': 'ubuntu', 'arch': 'x86_64'}, tags=['x', 'y'])
    b = make_image(db, ALICE, name='b', disk_format='raw', container_format='bare',
                   size=200, min_ram=1024, min_disk=2, checksum='2' * 32, os_hidden=True,
                   properties={'os_distro': 'ubuntu', 'arch': 'aarch64'}, tags=['x'])
    c = make_image(db, ALICE, name='c', disk_format='iso', container_format='ovf',
                   size=None, status='queued', properties={'os_distro': 'fedora'})
    killed = make_image(db, ALICE, name='killed', status='killed', size=300)
    gone = make_image(db, ALICE, name='gone', size=400)
    db_api.image_destroy(db, ALICE, gone['id'])
    return {'a': a, 'b': b, 'c': c, 'killed': killed, 'gone': gone}


@pytest.mark.parametrize('filters, expected', [
    ({}, ['a', 'b', 'c']),
    ({'name': 'a'}, ['a']),
    ({'name': ['a', 'c', 'nope']}, ['a', 'c']),
    ({'status': 'queued'}, ['c']),
    ({'status': 'killed'}, []),
    ({'disk_format': ['qcow2', 'iso']}, ['a', 'c']),
    ({'container_format': 'bare'}, ['a', 'b']),
    ({'checksum': '2' * 32}, ['b']),
    ({'os_hash_value': 'f' * 128}, ['a']),
    ({'owner': 'alice'}, ['a', 'b', 'c']),
    ({'owner': 'bob'}, []),
    ({'min_ram': 512}, ['a']),
    ({'min_disk': '2'}, ['b']),
    ({'size_min': 100}, ['a', 'b']),
    ({'size_min': 101}, ['b']),
    ({'size_max': 200, 'size_min': '200'}, ['b']),
    ({'protected': True}, ['a']),
    ({'protected': 'false'}, ['b', 'c']),
    ({'os_hidden': True}, ['b']),
    ({'os_hidden': False}, ['a', 'c']),
    ({'properties': {'os_distro': 'ubuntu'}}, ['a', 'b']),
    ({'properties': {'os_distro': 'ubuntu', 'arch': 'aarch64'}}, ['b']),
    ({'properties': {'os_distro': 'debian'}}, []),
    ({'arch': 'x86_64'}, ['a']),  # unknown keys are property filters, as in Glance
    ({'tags': ['x']}, ['a', 'b']),
    ({'tags': ['x', 'y']}, ['a']),
    ({'tags': ['z']}, []),
    ({'deleted': True}, ['gone']),
    ({'deleted': False}, ['a', 'b', 'c']),
    ({'changes-since': datetime.datetime(2000, 1, 1)}, ['a', 'b', 'c', 'gone', 'killed']),
    ({'changes-since': '2000-01-01T00:00:00Z'}, ['a', 'b', 'c', 'gone', 'killed']),
    ({'changes-since': datetime.datetime(2000, 1, 1), 'deleted': False},
     ['a', 'b', 'c']),
])
def test_filters(db, catalog, filters, expected):
    assert names(db_api.image_get_all(db, ALICE, filters=filters)) == expected


def test_filter_by_id_is_case_insensitive(db, catalog):
    wanted = [catalog['a']['id'].upper(), catalog['c']['id']]
    assert names(db_api.image_get_all(db, ALICE, filters={'id': wanted})) == ['a', 'c']


def test_deleted_properties_do_not_match(db, catalog):
    db_api.image_update(db, ALICE, catalog['b']['id'], {'properties': {}},
                        purge_props=True)
    assert names(db_api.image_get_all(
        db, ALICE, filters={'properties': {'os_distro': 'ubuntu'}})) == ['a']


def test_changes_since_is_strictly_after(db, catalog):
    b = db_api.image_get(db, ALICE, catalog['b']['id'])
    later = b['updated_at'] + datetime.timedelta(seconds=5)
    with db.engine.begin() as conn:
        conn.execute(update(models.Image).where(models.Image.id == b['id'])
                     .values(updated_at=later))
    assert names(db_api.image_get_all(db, ALICE, filters={'changes-since': later})) == []
    assert names(db_api.image_get_all(
        db, ALICE, filters={'changes-since': later - datetime.timedelta(seconds=1)})) == \
        ['b']


def test_time_filters(db, catalog):
    a = catalog['a']
    old = datetime.datetime(2001, 1, 1)
    with db.engine.begin() as conn:
        conn.execute(update(models.Image).where(models.Image.id == a['id'])
                     .values(created_at=old, updated_at=old))
    cases = {('gt', old): ['b', 'c'], ('gte', old): ['a', 'b', 'c'], ('lt', old): [],
             ('lte', old): ['a'], ('eq', old): ['a'], ('neq', old): ['b', 'c']}
    for (op, when), expected in cases.items():
        for key in ('created_at', 'updated_at'):
            assert names(db_api.image_get_all(db, ALICE, filters={key: (op, when)})) == \
                expected, (key, op)
    aware = datetime.datetime(2001, 1, 1, 2, tzinfo=datetime.timezone(
        datetime.timedelta(hours=2)))
    assert names(db_api.image_get_all(db, ALICE, filters={'created_at': ('eq', aware)})) \
        == ['a']
    assert names(db_api.image_get_all(
        db, ALICE, filters={'created_at': 'lte:2001-01-01T00:00:00Z'})) == ['a']


@pytest.mark.parametrize('filters, error', [
    ({'size_min': 'big'}, exception.InvalidFilterRangeValue),
    ({'min_ram': 'lots'}, exception.Invalid),
    ({'created_at': ('near', datetime.datetime(2001, 1, 1))}, exception.Invalid),
    ({'created_at': ('gt', 'yesterday')}, exception.Invalid),
    ({'changes-since': 'soon'}, exception.Invalid),
    ({'protected': 'perhaps'}, exception.Invalid),
])
def test_bad_filters_are_400s(db, filters, error):
    with pytest.raises(error) as err:
        db_api.image_get_all(db, ALICE, filters=filters)
    assert err.value.http_status == 400


# ---------------------------------------------------------------- sort and paging

@pytest.fixture
def sortable(db):
    """Images with NULLs, ties and distinct values in the sortable columns."""
    made = []
    specs = [('m', 30, 'raw'), (None, None, 'qcow2'), ('a', 10, None), ('m', 10, 'raw'),
             (None, 20, 'iso'), ('z', None, 'qcow2'), ('a', 30, 'raw')]
    for name, size, disk_format in specs:
        made.append(make_image(db, ALICE, name=name, size=size, disk_format=disk_format,
                               container_format='bare'))
    # Identical creation times for some: the id must break the tie.
    same = datetime.datetime(2010, 5, 5, 5, 5, 5)
    with db.engine.begin() as conn:
        conn.execute(update(models.Image).where(models.Image.id.in_(ids(made[:3])))
                     .values(created_at=same))
    return made


def _sort_value(image, key):
    value = image[key]
    return (value is not None, value)  # NULL is the smallest value on every engine


def _expected(images, keys, dirs):
    ordered = list(images)
    for key, direction in reversed(list(zip(keys, dirs))):
        ordered.sort(key=lambda i: _sort_value(i, key), reverse=direction == 'desc')
    return ids(ordered)


@pytest.mark.parametrize('sort_key, sort_dir', [
    (None, None), ('created_at', 'asc'), (['name'], ['asc']), (['name'], ['desc']),
    ('size', 'asc'), ('size', 'desc'), ('disk_format', 'asc'), ('id', 'desc'),
    (['name', 'size'], ['asc', 'desc']), (['size', 'name'], ['desc', 'asc']),
    (['disk_format', 'name', 'size'], 'desc'), ('updated_at', 'asc'), ('status', 'asc'),
])
def test_sort_and_page_through_everything(db, sortable, sort_key, sort_dir):
    everything = db_api.image_get_all(db, ALICE)
    keys = list(sort_key) if isinstance(sort_key, list) else [sort_key or 'created_at']
    dirs = sort_dir if isinstance(sort_dir, list) else [sort_dir or 'desc'] * len(keys)
    default_dir = dirs[0] if len(set(dirs)) == 1 or not isinstance(sort_dir, list) \
        else 'desc'
    tie_keys = [k for k in ('created_at', 'id') if k not in keys]
    expected = _expected(everything, keys + tie_keys, dirs + [default_dir] * len(tie_keys))

    listed = db_api.image_get_all(db, ALICE, sort_key=sort_key, sort_dir=sort_dir)
    assert ids(listed) == expected

    for limit in (1, 2, 3):
        pages, marker = [], None
        while True:
            page = db_api.image_get_all(db, ALICE, sort_key=sort_key, sort_dir=sort_dir,
                                        limit=limit, marker=marker)
            pages.extend(ids(page))
            if len(page) < limit:
                break
            marker = page[-1]['id']
        assert pages == expected, limit


def test_limit_zero_and_bad_sorts(db, sortable):
    assert db_api.image_get_all(db, ALICE, limit=0) == []
    assert len(db_api.image_get_all(db, ALICE, limit=2)) == 2
    with pytest.raises(exception.InvalidSortKey):
        db_api.image_get_all(db, ALICE, sort_key='properties')
    with pytest.raises(exception.Invalid):
        db_api.image_get_all(db, ALICE, sort_dir='sideways')
    with pytest.raises(exception.Invalid):
        db_api.image_get_all(db, ALICE, sort_key=['name', 'size'],
                             sort_dir=['asc', 'desc', 'asc'])
    with pytest.raises(exception.Invalid):
        db_api.image_get_all(db, ALICE, limit=-1)


def test_marker_must_exist_and_be_visible(db, sortable):
    private = make_image(db, BOB, visibility='private')
    for marker in ('0b1a9a18-0000-4000-8000-000000000000', 'junk', private['id']):
        with pytest.raises(exception.NotFound) as err:
            db_api.image_get_all(db, ALICE, marker=marker)
        assert str(err.value) == 'Invalid marker. Image could not be found.'
    # A deleted marker is fine while deleted images are being listed.
    db_api.image_destroy(db, ALICE, sortable[0]['id'])
    with pytest.raises(exception.NotFound):
        db_api.image_get_all(db, ALICE, marker=sortable[0]['id'])
    db_api.image_get_all(db, ALICE, marker=sortable[0]['id'],
                         filters={'changes-since': datetime.datetime(2000, 1, 1)})


def test_lists_carry_properties_locations_and_tags(db):
    image = make_image(db, ALICE, properties={'k': 'v', 'gone': 'x'},
                       locations=['file:///a', 'file:///b'], tags=['t1', 't2'])
    db_api.image_update(db, ALICE, image['id'], {
        'properties': {'k': 'v'}, 'tags': ['t2'],
        'locations': [image['locations'][1]]}, purge_props=True)
    [listed] = db_api.image_get_all(db, ALICE)
    assert listed == db_api.image_get(db, ALICE, image['id'])
    assert listed['properties'] == {'k': 'v'}
    assert listed['tags'] == ['t2']
    assert [loc['url'] for loc in listed['locations']] == ['file:///b']
    # When deleted rows are shown, deleted locations come too (the scrubber reads them).
    [shown] = db_api.image_get_all(db, ADMIN, filters={'deleted': False,
                                                       'changes-since': '2000-01-01'})
    assert [loc['status'] for loc in shown['locations']] == ['deleted', 'active']


# ---------------------------------------------------------------- query plans

def _page_query_plan(db, ctx, **kwargs):
    """The engine's plan of the page query ``image_get_all`` runs, one string."""
    (statement, parameters), _ = query_plans.capture(db, ctx, kwargs)
    return ' | '.join(query_plans.explain(db, statement, parameters))


# Only SQLite: the plans of the other engines depend on their statistics
# (tools/bench/query_plans.py records them at scale).
@pytest.mark.parametrize('db_kind', ['sqlite'])
@pytest.mark.parametrize('ctx, kwargs', [
    (ADMIN, {'filters': {'os_hidden': False}}),
    (ADMIN, {'filters': {'os_hidden': False}, 'sort_key': ['created_at'],
             'sort_dir': ['asc']}),
    (ALICE, {'filters': {'os_hidden': False}}),
    (ADMIN, {'v1_mode': True, 'is_public': True}),
], ids=['v2 admin', 'v2 sorted asc', 'v2 user', 'v1 public'])
def test_sqlite_pages_walk_the_created_at_index(db, ctx, kwargs):
    """A page of the usual lists reads rows in index order and stops at ``limit``:
    no full scan and sort, which made every page cost ~100 ms at 100k images."""
    plan = _page_query_plan(db, ctx, limit=25, **kwargs)
    assert 'USING INDEX created_at_id_lite_idx' in plan, plan
    assert 'TEMP B-TREE' not in plan, plan


@pytest.mark.parametrize('db_kind', ['sqlite'])
def test_sqlite_name_filter_uses_the_name_index(db):
    plan = _page_query_plan(db, ADMIN, filters={'name': 'x', 'os_hidden': False},
                            limit=25)
    assert 'name_lite_idx' in plan, plan
