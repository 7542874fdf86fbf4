"""Registry v1 REST API, image records: create, show, update, delete (registry.md §2)."""
import re
import uuid

import pytest

from glance_lite.common import exception
from tests.unit.registry.conftest import user

TIMESTAMP = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$')

WIRE_FIELDS = {'id', 'name', 'disk_format', 'container_format', 'size', 'virtual_size',
               'status', 'is_public', 'checksum', 'min_disk', 'min_ram', 'owner',
               'protected', 'deleted', 'created_at', 'updated_at', 'deleted_at',
               'properties', 'location', 'location_data', 'visibility', 'tags',
               'os_hidden', 'os_hash_algo', 'os_hash_value'}

ALICE = user('alice')
BOB = user('bob')


# ------------------------------------------------------------------ create

def test_create_answers_200_with_the_full_record(call):
    resp = call('POST', '/images', ALICE,
                json={'image': {'name': 'cirros', 'disk_format': 'qcow2',
                                'container_format': 'bare', 'size': 0,
                                'properties': {'distro': 'cirros'}}})

    assert resp.status_int == 200
    assert resp.content_type == 'application/json'
    image = resp.json['image']
    assert set(image) == WIRE_FIELDS
    assert image['status'] == 'active'  # no status given: the registry's default
    assert image['owner'] == 'alice'
    assert image['is_public'] is False
    assert image['visibility'] == 'shared'
    assert (image['min_disk'], image['min_ram'], image['protected']) == (0, 0, False)
    assert image['properties'] == {'distro': 'cirros'}
    assert image['deleted'] is False and image['deleted_at'] is None
    assert TIMESTAMP.match(image['created_at']) and TIMESTAMP.match(image['updated_at'])
    assert uuid.UUID(image['id'])
    assert (image['location'], image['location_data'], image['tags']) == (None, [], [])


def test_is_public_true_makes_a_public_image(client_for):
    image = client_for(ALICE).add_image({'name': 'pub', 'is_public': True})
    assert (image['is_public'], image['visibility']) == (True, 'public')


def test_visibility_may_be_given_instead_of_is_public(client_for):
    image = client_for(ALICE).add_image({'name': 'c', 'visibility': 'community'})
    assert (image['is_public'], image['visibility']) == (False, 'community')
    image = client_for(ALICE).add_image({'name': 'p', 'visibility': 'private'})
    assert image['visibility'] == 'private'


def test_is_public_and_visibility_together_are_refused(client_for):
    with pytest.raises(exception.Invalid) as err:
        client_for(ALICE).add_image({'is_public': True, 'visibility': 'public'})
    assert 'is_public and visibility cannot be given together' in str(err.value)


def test_non_admin_always_owns_what_it_creates(client_for):
    image = client_for(ALICE).add_image({'name': 'x', 'owner': 'bob'})
    assert image['owner'] == 'alice'


def test_admin_may_create_for_another_owner_and_owns_the_rest(client_for, admin):
    assert client_for(admin).add_image({'owner': 'bob'})['owner'] == 'bob'
    assert client_for(admin).add_image({'name': 'x'})['owner'] == 'admin-project'


def test_client_supplied_id_is_kept(client_for):
    image_id = str(uuid.uuid4())
    assert client_for(ALICE).add_image({'id': image_id})['id'] == image_id


def test_malformed_id_is_refused(client_for):
    with pytest.raises(exception.Invalid) as err:
        client_for(ALICE).add_image({'id': 'not-a-uuid'})
    assert str(err.value) == 'Invalid image id format'


def test_duplicate_id_is_a_conflict(client_for):
    image_id = str(uuid.uuid4())
    client_for(ALICE).add_image({'id': image_id})
    with pytest.raises(exception.Conflict) as err:
        client_for(ALICE).add_image({'id': image_id})
    assert err.value.http_status == 409
    assert str(err.value) == 'Image with identifier %s already exists!' % image_id


@pytest.mark.parametrize('fields, message', [
    ({'status': 'bogus'}, "Invalid image status 'bogus' for image."),
    ({'min_disk': 2 ** 31}, "'min_disk' value out of range, must not exceed 2147483647."),
    ({'min_ram': 2 ** 31}, "'min_ram' value out of range, must not exceed 2147483647."),
    ({'properties': {'\U0001f600': 'x'}}, "Property names can't contain 4 byte unicode."),
    ({'name': 'smile \U0001f600'}, "Name can't contain 4 byte unicode characters."),
    ({'name': 'n' * 256}, 'Image name too long: 256'),
    ({'checksum': 'c' * 33}, "Invalid checksum '%s': can't exceed 32 characters" % ('c' * 33)),
    ({'visibility': 'everyone'}, 'Invalid visibility value: everyone'),
    ({'is_public': 'maybe'}, 'is_public must be true or false'),
])
def test_invalid_values_are_400_with_the_reason(client_for, fields, message):
    with pytest.raises(exception.Invalid) as err:
        client_for(ALICE).add_image(dict({'name': 'x'}, **fields))
    assert str(err.value) == 'Failed to add image metadata. Got error: %s' % message


def test_timestamps_and_deleted_flag_from_the_caller_are_ignored(client_for):
    image = client_for(ALICE).add_image({'name': 'x', 'created_at': '2001-01-01T00:00:00',
                                         'deleted': True, 'deleted_at': '2001-01-01'})
    assert not image['created_at'].startswith('2001')
    assert (image['deleted'], image['deleted_at']) == (False, None)


def test_location_becomes_the_only_location(client_for):
    image = client_for(ALICE).add_image({'location': 'http://example.com/img'})
    assert image['location'] == 'http://example.com/img'
    (loc,) = image['location_data']
    assert (loc['url'], loc['metadata'], loc['status']) == ('http://example.com/img', {},
                                                            'active')
    assert isinstance(loc['id'], int)


def test_location_data_keeps_metadata_and_status(client_for):
    image = client_for(ALICE).add_image({'location_data': [
        {'url': 'swift://a/b', 'metadata': {'store': 'swift'}, 'status': 'active'},
        {'url': 'file:///c', 'metadata': {}, 'status': 'active'}]})
    assert [(d['url'], d['metadata']) for d in image['location_data']] == [
        ('swift://a/b', {'store': 'swift'}), ('file:///c', {})]
    assert image['location'] == 'swift://a/b'


def test_location_field_is_the_first_active_location(client_for, admin):
    image = client_for(admin).add_image({'location_data': [
        {'url': 'swift://old', 'metadata': {}, 'status': 'pending_delete'},
        {'url': 'swift://new', 'metadata': {}, 'status': 'active'}]})
    image = client_for(admin).get_image(image['id'])
    assert image['location'] == 'swift://new'


def test_malformed_bodies_are_400(call):
    resp = call('POST', '/images', ALICE, body=b'{not json')
    assert resp.status_int == 400
    assert 'Malformed JSON in request body' in resp.json['message']
    for body in ({'name': 'x'}, {'image': 'x'}, [1]):
        resp = call('POST', '/images', ALICE, json=body)
        assert resp.status_int == 400
        assert 'Request body must be a JSON object with an "image" object.' \
            in resp.json['message']


# ------------------------------------------------------------------ show

def test_show_returns_the_record(client_for, make_image):
    created = make_image(ALICE, properties={'a': '1'})
    assert client_for(ALICE).get_image(created['id']) == created


def test_show_of_an_invisible_image_is_404_never_403(client_for, make_image, call):
    private = make_image(ALICE, visibility='private')
    with pytest.raises(exception.NotFound) as err:
        client_for(BOB).get_image(private['id'])
    assert str(err.value) == 'Image not found'
    assert call('GET', '/images/%s' % private['id'], BOB).status_int == 404
    with pytest.raises(exception.NotFound):
        client_for(ALICE).get_image(str(uuid.uuid4()))
    with pytest.raises(exception.NotFound):
        client_for(ALICE).get_image('not-even-a-uuid')


def test_public_and_shared_with_me_images_are_visible(client_for, make_image):
    public = make_image(ALICE, is_public=True)
    assert client_for(BOB).get_image(public['id'])['id'] == public['id']
    shared = make_image(ALICE)
    client_for(ALICE).add_member(shared['id'], 'bob')
    assert client_for(BOB).get_image(shared['id'])['id'] == shared['id']


def test_ids_compare_case_insensitively(client_for, make_image):
    image = make_image(ALICE)
    assert client_for(ALICE).get_image(image['id'].upper())['id'] == image['id']


def test_deleted_images_are_hidden_except_from_admins(client_for, make_image, admin):
    image = make_image(ALICE, location='http://example.com/x')
    client_for(ALICE).delete_image(image['id'])
    with pytest.raises(exception.NotFound):
        client_for(ALICE).get_image(image['id'])
    seen = client_for(admin).get_image(image['id'])
    assert seen['deleted'] is True
    assert seen['location'] is None  # its location is deleted with it


# ------------------------------------------------------------------ update

def test_update_changes_fields_and_returns_the_record(client_for, make_image):
    image = make_image(ALICE, status='queued')
    updated = client_for(ALICE).update_image(image['id'], {'name': 'new', 'min_ram': 512,
                                                           'is_public': True})
    assert (updated['name'], updated['min_ram'], updated['is_public']) == ('new', 512, True)
    assert updated['updated_at'] >= image['updated_at']
    assert client_for(ALICE).get_image(image['id']) == updated


def test_update_merges_properties_unless_purging(client_for, make_image):
    image = make_image(ALICE, properties={'a': '1', 'b': '2'})
    merged = client_for(ALICE).update_image(image['id'], {'properties': {'b': '3',
                                                                         'c': '4'}})
    assert merged['properties'] == {'a': '1', 'b': '3', 'c': '4'}
    purged = client_for(ALICE).update_image(image['id'], {'properties': {'c': '5'}},
                                            purge_props=True)
    assert purged['properties'] == {'c': '5'}


def test_update_with_from_state_applies_only_in_that_state(client_for, make_image, call):
    image = make_image(ALICE, status='queued')
    saving = client_for(ALICE).update_image(image['id'], {'status': 'saving'},
                                            from_state='queued')
    assert saving['status'] == 'saving'
    with pytest.raises(exception.Conflict) as err:
        client_for(ALICE).update_image(image['id'], {'status': 'saving'},
                                       from_state='queued')
    assert str(err.value) == 'Image operation conflicts'
    assert client_for(ALICE).get_image(image['id'])['status'] == 'saving'

    resp = call('PUT', '/images/%s' % image['id'], ALICE,
                json={'image': {'status': 'active'}, 'from_state': 'queued'})
    assert resp.status_int == 409


def test_non_admin_cannot_change_the_owner_but_admin_can(client_for, make_image, admin):
    image = make_image(ALICE)
    assert client_for(ALICE).update_image(image['id'], {'owner': 'bob'})['owner'] == 'alice'
    assert client_for(admin).update_image(image['id'], {'owner': 'bob'})['owner'] == 'bob'


def test_update_replaces_locations_when_given(client_for, make_image):
    image = make_image(ALICE, location='http://example.com/1')
    kept = client_for(ALICE).update_image(image['id'], {'name': 'renamed'})
    assert kept['location'] == 'http://example.com/1'
    moved = client_for(ALICE).update_image(image['id'], {'location': 'http://example.com/2'})
    assert [d['url'] for d in moved['location_data']] == ['http://example.com/2']


def test_resending_location_data_keeps_the_location_rows(client_for, make_image):
    image = make_image(ALICE, location='http://example.com/1')
    again = client_for(ALICE).update_image(image['id'], {
        'location': image['location'], 'location_data': image['location_data']})
    assert again['location_data'] == image['location_data']


def test_update_errors(client_for, make_image):
    image = make_image(ALICE)
    with pytest.raises(exception.Invalid) as err:
        client_for(ALICE).update_image(image['id'], {'status': 'bogus'})
    assert str(err.value) == ("Failed to update image metadata. Got error: "
                              "Invalid image status 'bogus' for image.")
    with pytest.raises(exception.NotFound) as err:
        client_for(ALICE).update_image(str(uuid.uuid4()), {'name': 'x'})
    assert str(err.value) == 'Image not found'


def test_others_get_403_on_public_and_404_on_private_or_shared(client_for, make_image):
    public = make_image(ALICE, is_public=True)
    private = make_image(ALICE, visibility='private')
    shared = make_image(ALICE)
    client_for(ALICE).add_member(shared['id'], 'bob')

    with pytest.raises(exception.Forbidden) as err:
        client_for(BOB).update_image(public['id'], {'name': 'mine'})
    assert str(err.value) == 'Forbidden to update public image'
    for image in (private, shared):
        with pytest.raises(exception.NotFound):
            client_for(BOB).update_image(image['id'], {'name': 'mine'})
    with pytest.raises(exception.Forbidden):
        client_for(BOB).delete_image(public['id'])
    for image in (private, shared):
        with pytest.raises(exception.NotFound):
            client_for(BOB).delete_image(image['id'])
    for image in (public, private, shared):
        assert client_for(ALICE).get_image(image['id'])['deleted'] is False


# ------------------------------------------------------------------ delete

def test_delete_answers_200_with_the_deleted_record(call, make_image, client_for):
    image = make_image(ALICE, properties={'a': '1'}, location='http://example.com/x')
    client_for(ALICE).add_member(image['id'], 'bob')

    resp = call('DELETE', '/images/%s' % image['id'], ALICE)

    assert resp.status_int == 200
    deleted = resp.json['image']
    assert deleted['deleted'] is True
    assert TIMESTAMP.match(deleted['deleted_at'])
    assert deleted['status'] == 'active'  # the API sets the status, not this call
    assert [d['status'] for d in deleted['location_data']] == ['deleted']
    with pytest.raises(exception.NotFound):
        client_for(ALICE).delete_image(image['id'])
    assert client_for(BOB).get_member_images('bob') == []


def test_admin_deletes_any_image(client_for, make_image, admin):
    image = make_image(ALICE, visibility='private')
    assert client_for(admin).delete_image(image['id'])['deleted'] is True
