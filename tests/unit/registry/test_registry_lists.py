"""Registry image lists: who sees what, filters, paging, sorting and their 400s
(api-v1.md §3, registry.md §2)."""
import datetime
import uuid

import pytest

from glance_lite.common import exception
from glance_lite.db import api as db_api
from glance_lite.registry import api as registry_api
from glance_lite.registry.api import list_params
from tests.unit.registry.conftest import make_registry_conf, trusted_client, user

ALICE = user('alice')
BOB = user('bob')
CAROL = user('carol')

BRIEF = {'id', 'name', 'size', 'disk_format', 'container_format', 'checksum'}


def names(images):
    return sorted(i['name'] for i in images)


@pytest.fixture
def catalog(make_image, client_for):
    """Alice's images of every visibility, one shared with Bob, one of Carol's."""
    images = {
        'a-public': make_image(ALICE, name='a-public', is_public=True, min_ram=512,
                               properties={'os': 'linux'}, size=100, protected=True),
        'a-shared': make_image(ALICE, name='a-shared', size=200,
                               properties={'os': 'windows'}),
        'a-shared-bob': make_image(ALICE, name='a-shared-bob', size=300,
                                   disk_format='qcow2'),
        'a-private': make_image(ALICE, name='a-private', visibility='private', size=400),
        'a-community': make_image(ALICE, name='a-community', visibility='community'),
        'c-private': make_image(CAROL, name='c-private', visibility='private',
                                status='queued', container_format='ovf'),
    }
    client_for(ALICE).add_member(images['a-shared-bob']['id'], 'bob')
    return images


# ------------------------------------------------------------------ visibility

def test_brief_list_has_only_the_brief_fields(client_for, catalog):
    images = client_for(ALICE).get_images()
    assert images and all(set(i) == BRIEF for i in images)
    detailed = client_for(ALICE).get_images_detailed()
    assert all('properties' in i and 'location_data' in i for i in detailed)


def test_root_path_is_the_brief_list(call, catalog):
    resp = call('GET', '/', ALICE)
    assert resp.status_int == 200
    assert {i['name'] for i in resp.json['images']} >= {'a-public', 'a-private'}


def test_owner_sees_all_own_images(client_for, catalog):
    assert names(client_for(ALICE).get_images()) == [
        'a-community', 'a-private', 'a-public', 'a-shared', 'a-shared-bob']


def test_others_see_public_and_shared_with_them_never_others_community(client_for,
                                                                       catalog):
    assert names(client_for(BOB).get_images()) == ['a-public', 'a-shared-bob']
    assert names(client_for(CAROL).get_images()) == ['a-public', 'c-private']


def test_shared_images_are_listed_whatever_the_member_status(client_for, catalog, db):
    # v1 members are "pending" in the database; v1 lists them anyway.
    (member,) = client_for(BOB).get_member_images('bob')
    assert member['image_id'] == catalog['a-shared-bob']['id']
    assert 'a-shared-bob' in names(client_for(BOB).get_images())


def test_admin_lists_as_a_user_unless_is_public_says_otherwise(client_for, catalog,
                                                               admin):
    as_user = names(client_for(admin).get_images())
    assert as_user == ['a-public']
    assert names(client_for(admin).get_images({'is_public': 'true'})) == as_user
    everything = names(client_for(admin).get_images({'is_public': 'None'}))
    assert everything == sorted(catalog)
    non_public = names(client_for(admin).get_images({'is_public': 'false'}))
    assert non_public == sorted(set(catalog) - {'a-public'})


def test_is_public_is_ignored_for_non_admins(client_for, catalog):
    assert names(client_for(BOB).get_images({'is_public': 'none'})) == [
        'a-public', 'a-shared-bob']
    assert names(client_for(BOB).get_images({'is_public': 'false'})) == [
        'a-public', 'a-shared-bob']


# ------------------------------------------------------------------ filters

@pytest.mark.parametrize('params, expected', [
    ({'name': 'a-private'}, ['a-private']),
    ({'name': 'eq:a-private'}, ['a-private']),
    ({'name': 'in:a-private,a-public,nothing'}, ['a-private', 'a-public']),
    ({'disk_format': 'qcow2'}, ['a-shared-bob']),
    ({'container_format': 'in:bare'}, ['a-community', 'a-private', 'a-public', 'a-shared',
                                       'a-shared-bob']),
    ({'status': 'queued'}, []),
    ({'min_ram': '512'}, ['a-public']),
    ({'min_disk': '0', 'size_min': '200', 'size_max': '300'}, ['a-shared', 'a-shared-bob']),
    ({'protected': 'True'}, ['a-public']),
    ({'protected': '0', 'size_min': '350'}, ['a-private']),
    ({'property-os': 'linux'}, ['a-public']),
    ({'property-os': 'windows', 'name': 'a-shared'}, ['a-shared']),
    ({'property-os': 'beos'}, []),
])
def test_filters(client_for, catalog, params, expected):
    assert names(client_for(ALICE).get_images_detailed(params)) == expected


def test_in_operator_values_may_be_quoted(client_for, make_image):
    make_image(ALICE, name='a,b')
    make_image(ALICE, name='c')
    make_image(ALICE, name='d')
    assert names(client_for(ALICE).get_images({'name': 'in:"a,b",c'})) == ['a,b', 'c']


def test_a_name_that_is_a_time_is_not_an_operator(client_for, make_image):
    make_image(ALICE, name='2019-01-01T10:20:30')
    assert names(client_for(ALICE).get_images({'name': '2019-01-01T10:20:30'})) == [
        '2019-01-01T10:20:30']


def test_changes_since_includes_deleted_images(client_for, make_image):
    before = (datetime.datetime.utcnow() - datetime.timedelta(minutes=1)).isoformat()
    kept = make_image(ALICE, name='kept')
    gone = make_image(ALICE, name='gone')
    client_for(ALICE).delete_image(gone['id'])

    assert names(client_for(ALICE).get_images()) == ['kept']
    changed = client_for(ALICE).get_images_detailed({'changes-since': before})
    assert names(changed) == ['gone', 'kept']
    assert {i['name']: i['deleted'] for i in changed} == {'gone': True, 'kept': False}
    future = (datetime.datetime.utcnow() + datetime.timedelta(minutes=1)).isoformat() + 'Z'
    assert client_for(ALICE).get_images({'changes-since': future}) == []
    assert kept


def test_deleted_filter_is_for_admins_only(client_for, make_image, admin):
    image = make_image(ALICE, name='gone', is_public=True)
    client_for(ALICE).delete_image(image['id'])
    assert client_for(ALICE).get_images({'deleted': 'true'}) == []
    listed = client_for(admin).get_images_detailed({'deleted': 'true', 'is_public': 'none'})
    assert [(i['name'], i['deleted']) for i in listed] == [('gone', True)]


@pytest.mark.parametrize('params, message', [
    ({'name': 'gt:x'}, 'Unable to filter using the specified operator.'),
    ({'status': 'in:"active'}, 'Invalid filter value "active. The quote is not closed.'),
    ({'name': 'in:"a"b'}, 'Invalid filter value "a"b. There is no comma after closing '
                          'quotation mark.'),
    ({'name': 'in:a"b"'}, 'Invalid filter value a"b". There is no comma before opening '
                          'quotation mark.'),
    ({'min_ram': 'x'}, 'Bad value passed to filter min_ram got x'),
    ({'min_disk': '-1'}, 'Bad value passed to filter min_disk got -1'),
    ({'size_min': '1.5'}, 'Bad value passed to filter size_min got 1.5'),
    ({'size_max': 'big'}, 'Bad value passed to filter size_max got big'),
    ({'protected': 'yes'}, 'Bad value passed to filter protected got yes'),
    ({'is_public': 'sometimes'}, 'Bad value passed to filter is_public got sometimes'),
    ({'deleted': 'perhaps'}, 'Bad value passed to filter deleted got perhaps'),
    ({'changes-since': 'yesterday'}, 'Unrecognized changes-since value'),
    ({'limit': 'ten'}, 'limit param must be an integer'),
    ({'limit': '-1'}, 'limit param must be positive'),
    ({'marker': 'abc'}, 'Invalid marker format'),
    ({'marker': str(uuid.uuid4())}, 'Invalid marker. Image could not be found.'),
    ({'sort_key': 'owner'}, 'Unsupported sort_key. Acceptable values: name, status, '
                            'container_format, disk_format, size, id, created_at, '
                            'updated_at'),
    ({'sort_dir': 'up'}, 'Unsupported sort_dir. Acceptable values: asc, desc'),
])
def test_bad_list_parameters_are_400_with_the_reason(client_for, params, message):
    with pytest.raises(exception.Invalid) as err:
        client_for(ALICE).get_images_detailed(params)
    assert str(err.value) == message


def test_bad_parameters_answer_400_on_the_wire(call):
    resp = call('GET', '/images?limit=ten', ALICE)
    assert resp.status_int == 400
    assert resp.json['message'].startswith('limit param must be an integer')


def test_unknown_parameters_are_ignored(client_for, catalog):
    assert names(client_for(BOB).get_images({'colour': 'blue'})) == [
        'a-public', 'a-shared-bob']


def test_marker_of_an_image_the_caller_cannot_see_is_invalid(client_for, catalog):
    with pytest.raises(exception.Invalid) as err:
        client_for(BOB).get_images({'marker': catalog['a-private']['id']})
    assert str(err.value) == 'Invalid marker. Image could not be found.'


# ------------------------------------------------------------------ paging, sorting

@pytest.fixture
def small_pages(db_url):
    """A registry whose pages default to 2 images and never exceed 3."""
    conf = make_registry_conf(db_url, limit_param_default=2, api_limit_max=3)
    database = db_api.Database.from_conf(conf)
    client = trusted_client(registry_api.make_app(conf, database), conf)(ALICE)
    for i in range(5):
        client.add_image({'name': 'img-%d' % i, 'size': 10 * (5 - i)})
    yield client
    database.dispose()


def test_limit_defaults_and_is_capped(small_pages):
    assert len(small_pages.get_images()) == 2
    assert len(small_pages.get_images({'limit': 3})) == 3
    assert len(small_pages.get_images({'limit': 1000})) == 3
    assert small_pages.get_images({'limit': 0}) == []


def test_marker_pages_through_everything_once(small_pages):
    seen, marker = [], None
    while True:
        page = small_pages.get_images({'sort_key': 'name', 'sort_dir': 'asc',
                                       'marker': marker})
        if not page:
            break
        seen += [i['name'] for i in page]
        marker = page[-1]['id']
    assert seen == ['img-0', 'img-1', 'img-2', 'img-3', 'img-4']


def test_default_order_is_newest_first(small_pages):
    created = [i['name'] for i in small_pages.get_images({'limit': 3})]
    assert created == ['img-4', 'img-3', 'img-2']


def test_sort_key_and_direction(small_pages):
    by_size = small_pages.get_images({'sort_key': 'size', 'sort_dir': 'asc', 'limit': 3})
    assert [i['size'] for i in by_size] == [10, 20, 30]
    by_name = small_pages.get_images({'sort_key': 'name', 'limit': 3})
    assert [i['name'] for i in by_name] == ['img-4', 'img-3', 'img-2']


# ------------------------------------------------------------------ the parser itself

def test_parser_builds_the_database_query():
    parser = list_params.ListParams(default_limit=25, max_limit=1000)
    kwargs = parser.parse({'name': 'in:a,b', 'property-os': 'linux', 'limit': '5',
                           'changes-since': '2020-01-02T03:04:05+01:00'}, ALICE)
    assert kwargs == {
        'filters': {'name': ['a', 'b'], 'properties': {'os': 'linux'},
                    'changes-since': datetime.datetime(2020, 1, 2, 2, 4, 5)},
        'limit': 5, 'marker': None, 'sort_key': ['created_at'], 'sort_dir': ['desc'],
        'member_status': 'all', 'v1_mode': True}


@pytest.mark.parametrize('text, values', [
    ('a,b', ['a', 'b']),
    ('"a,b",c', ['a,b', 'c']),
    ('"say \\"hi\\""', ['say "hi"']),
    ('a,', ['a', '']),
    ('', ['']),
])
def test_split_quoted_list(text, values):
    assert list_params.split_quoted_list(text) == values


# ------------------------------------------------------------------ v2 queries

def test_v2_query_uses_member_status_and_visibility(client_for, catalog):
    bob = client_for(BOB)
    # Community images show only when asked for; shared ones once accepted.
    assert names(bob.query_images({})) == ['a-public']
    shared = bob.query_images({'member_status': 'pending'})
    assert names(shared) == ['a-public', 'a-shared-bob']
    assert names(bob.query_images({'filters': {'visibility': 'community'}})) == [
        'a-community']
    alice = client_for(ALICE)
    assert names(alice.query_images({'filters': {'visibility': 'private'}})) == [
        'a-private']


def test_v2_query_filters_sorts_and_pages(client_for, catalog):
    alice = client_for(ALICE)
    found = alice.query_images({'filters': {'size_min': 150, 'properties': {}},
                                'sort_key': ['size'], 'sort_dir': ['asc'], 'limit': 2})
    assert [i['name'] for i in found] == ['a-shared', 'a-shared-bob']
    rest = alice.query_images({'filters': {'size_min': 150}, 'sort_key': ['size'],
                               'sort_dir': ['asc'], 'marker': found[-1]['id']})
    assert [i['name'] for i in rest] == ['a-private']


@pytest.mark.parametrize('query, message', [
    ({'order': 'name'}, 'Unknown query keys: order'),
    ({'limit': -1}, 'positive integer'),
    ({'marker': 'nope'}, 'Invalid marker'),
    ({'marker': str(uuid.uuid4())}, 'Image could not be found'),
    ({'filters': []}, 'filters must be an object'),
])
def test_v2_query_errors_are_400(client_for, catalog, query, message):
    with pytest.raises(exception.Invalid, match=message):
        client_for(ALICE).query_images(query)


def test_storage_usage_is_per_owner_and_private(client_for, make_image):
    make_image(ALICE, size=100, location='file:///tmp/a')
    excluded = make_image(ALICE, size=50, location='file:///tmp/b')
    alice = client_for(ALICE)
    assert alice.get_storage_usage('alice') == 150
    assert alice.get_storage_usage('alice', image_id=excluded['id']) == 100
    with pytest.raises(exception.Forbidden):
        client_for(BOB).get_storage_usage('alice')
