"""Registry members and shared images (registry.md §2, api-v1.md §9)."""
import pytest

from glance_lite.common import context, exception
from glance_lite.db import api as db_api
from glance_lite.registry import api as registry_api
from tests.unit.registry.conftest import make_registry_conf, trusted_client, user

ALICE = user('alice')
BOB = user('bob')
CAROL = user('carol')
DAVE = user('dave')


def members(client, image_id):
    return sorted((m['member_id'], m['can_share'])
                  for m in client.get_image_members(image_id))


@pytest.fixture
def image(make_image):
    return make_image(ALICE)


def test_owner_adds_and_lists_members(client_for, image, call):
    resp = call('PUT', '/images/%s/members/bob' % image['id'], ALICE)
    assert (resp.status_int, resp.body) == (204, b'')
    client_for(ALICE).add_member(image['id'], 'carol', can_share=True)

    resp = call('GET', '/images/%s/members' % image['id'], ALICE)
    assert resp.status_int == 200
    listed = sorted(resp.json['members'], key=lambda m: m['member_id'])
    assert [(m['member_id'], m['can_share'], m['status'], m['image_id']) for m in listed] == [
        ('bob', False, 'pending', image['id']), ('carol', True, 'pending', image['id'])]
    assert all(m['created_at'] and m['updated_at'] for m in listed)


def test_adding_again_changes_can_share_only_when_given(client_for, image):
    alice = client_for(ALICE)
    alice.add_member(image['id'], 'bob', can_share=True)
    alice.add_member(image['id'], 'bob')
    assert members(alice, image['id']) == [('bob', True)]
    alice.add_member(image['id'], 'bob', can_share=False)
    assert members(alice, image['id']) == [('bob', False)]


def test_delete_member(client_for, image, call):
    client_for(ALICE).add_member(image['id'], 'bob')
    resp = call('DELETE', '/images/%s/members/bob' % image['id'], ALICE)
    assert resp.status_int == 204
    assert members(client_for(ALICE), image['id']) == []
    with pytest.raises(exception.NotFound) as err:
        client_for(ALICE).delete_member(image['id'], 'bob')
    assert str(err.value) == 'Membership could not be found.'
    with pytest.raises(exception.NotFound):
        client_for(BOB).get_image(image['id'])


def test_deleted_membership_is_revived_when_added_again(client_for, image):
    alice = client_for(ALICE)
    alice.add_member(image['id'], 'bob', can_share=True)
    alice.delete_member(image['id'], 'bob')
    alice.add_member(image['id'], 'bob')
    assert members(alice, image['id']) == [('bob', False)]
    assert client_for(BOB).get_image(image['id'])['id'] == image['id']

    alice.replace_members(image['id'], [])
    alice.replace_members(image['id'], [{'member_id': 'bob', 'can_share': True}])
    assert members(alice, image['id']) == [('bob', True)]


def test_replace_all_members(client_for, image, call):
    alice = client_for(ALICE)
    alice.add_member(image['id'], 'bob', can_share=True)
    alice.add_member(image['id'], 'carol', can_share=True)

    resp = call('PUT', '/images/%s/members' % image['id'], ALICE,
                json={'memberships': [{'member_id': 'bob'},
                                      {'member_id': 'dave', 'can_share': True},
                                      {'member_id': 'erin'}]})

    assert resp.status_int == 204
    # bob keeps can_share (not given), carol is gone, new members default to false.
    assert members(alice, image['id']) == [('bob', True), ('dave', True), ('erin', False)]
    with pytest.raises(exception.NotFound):
        client_for(CAROL).get_image(image['id'])


@pytest.mark.parametrize('body', [
    {}, {'memberships': 'bob'}, {'memberships': [{'can_share': True}]},
    {'memberships': ['bob']}, {'memberships': [{'member_id': 'bob', 'can_share': 'yes'}]},
])
def test_bad_memberships_are_400(call, image, body):
    resp = call('PUT', '/images/%s/members' % image['id'], ALICE, json=body)
    assert resp.status_int == 400
    assert resp.json['message'].startswith('Invalid membership association: ')


@pytest.mark.parametrize('body', [{'member': {}}, {'member': {'can_share': 1}}, ['x']])
def test_bad_member_body_is_400(call, image, body):
    resp = call('PUT', '/images/%s/members/bob' % image['id'], ALICE, json=body)
    assert resp.status_int == 400
    assert resp.json['message'].startswith('Invalid membership association: ')


def test_members_of_an_invisible_image_are_404(client_for, image):
    for call in (lambda c: c.get_image_members(image['id']),
                 lambda c: c.add_member(image['id'], 'bob'),
                 lambda c: c.replace_members(image['id'], []),
                 lambda c: c.delete_member(image['id'], 'bob')):
        with pytest.raises(exception.NotFound):
            call(client_for(BOB))


def test_caller_without_a_project_is_401_unless_admin(client_for, make_image):
    public = make_image(ALICE, is_public=True)
    nobody = context.RequestContext(user_id='u', project_id=None, roles=['member'],
                                    overwrite=False)
    with pytest.raises(exception.NotAuthenticated) as err:
        client_for(nobody).add_member(public['id'], 'bob')
    assert str(err.value) == 'No authenticated user'
    with pytest.raises(exception.NotAuthenticated):
        client_for(nobody).delete_member(public['id'], 'bob')
    with pytest.raises(exception.NotAuthenticated):
        client_for(nobody).replace_members(public['id'], [])

    project_less_admin = context.RequestContext(user_id='root', project_id=None,
                                                roles=['admin'], overwrite=False)
    client_for(project_less_admin).add_member(public['id'], 'bob')
    assert members(client_for(ALICE), public['id']) == [('bob', False)]


def test_only_owner_admin_or_sharing_member_may_change_members(
        client_for, make_image, admin):
    public = make_image(ALICE, is_public=True)
    with pytest.raises(exception.Forbidden) as err:
        client_for(BOB).add_member(public['id'], 'bob')
    assert str(err.value) == 'No permission to share that image'

    client_for(admin).add_member(public['id'], 'bob')           # admin: allowed
    with pytest.raises(exception.Forbidden):                    # member, no can_share
        client_for(BOB).add_member(public['id'], 'carol')
    with pytest.raises(exception.Forbidden):
        client_for(BOB).delete_member(public['id'], 'bob')
    with pytest.raises(exception.Forbidden):
        client_for(BOB).replace_members(public['id'], [])

    client_for(ALICE).add_member(public['id'], 'bob', can_share=True)
    client_for(BOB).add_member(public['id'], 'carol')           # member with can_share
    assert members(client_for(ALICE), public['id']) == [('bob', True), ('carol', False)]


def test_shared_member_with_can_share_reshares(client_for, image):
    client_for(ALICE).add_member(image['id'], 'bob', can_share=True)
    client_for(BOB).add_member(image['id'], 'dave')
    assert client_for(DAVE).get_image(image['id'])['id'] == image['id']


def test_shared_images_of_a_member(client_for, make_image, call, admin):
    one, two = make_image(ALICE), make_image(CAROL)
    client_for(ALICE).add_member(one['id'], 'bob', can_share=True)
    client_for(CAROL).add_member(two['id'], 'bob')

    resp = call('GET', '/shared-images/bob', BOB)
    assert resp.status_int == 200
    assert sorted((s['image_id'], s['can_share']) for s in resp.json['shared_images']) == \
        sorted([(one['id'], True), (two['id'], False)])
    # Any method is the same list (Glance's route has no method condition).
    assert call('POST', '/shared-images/bob', BOB).json == resp.json
    # Others see only memberships of images they own.
    assert client_for(ALICE).get_member_images('bob') == [
        {'image_id': one['id'], 'can_share': True}]
    assert client_for(DAVE).get_member_images('bob') == []
    assert len(client_for(admin).get_member_images('bob')) == 2


def test_anonymous_read_only_callers_cannot_change_members(db_url):
    conf = make_registry_conf(db_url, allow_anonymous_access=True)
    database = db_api.Database.from_conf(conf)
    client_for = trusted_client(registry_api.make_app(conf, database), conf)
    public = client_for(ALICE).add_image({'name': 'p', 'is_public': True})
    # No identity headers at all: the context middleware makes a read-only context.
    anonymous_client = trusted_client(registry_api.make_app(conf, database), conf,
                                      send_identity_headers=False)(
        context.RequestContext(overwrite=False))

    assert [i['id'] for i in anonymous_client.get_images()] == [public['id']]
    with pytest.raises(exception.Forbidden) as err:
        anonymous_client.add_member(public['id'], 'bob')
    assert str(err.value) == 'Read-only access'
    database.dispose()


def test_only_the_member_itself_sets_its_status(client_for, image, call):
    client_for(ALICE).add_member(image['id'], 'bob')
    body = {'member': {'status': 'accepted'}}
    resp = call('PUT', '/images/%s/members/bob' % image['id'], ALICE, json=body)
    assert resp.status_int == 403
    client_for(BOB).set_member_status(image['id'], 'bob', 'accepted')
    resp = call('GET', '/images/%s/members' % image['id'], ALICE)
    assert [m['status'] for m in resp.json['members']] == ['accepted']
    resp = call('PUT', '/images/%s/members/bob' % image['id'], BOB,
                json={'member': {'status': 'maybe'}})
    assert resp.status_int == 400


def test_status_of_a_non_member_is_not_found(client_for, image):
    with pytest.raises(exception.NotFound):
        client_for(BOB).set_member_status(image['id'], 'bob', 'accepted')
