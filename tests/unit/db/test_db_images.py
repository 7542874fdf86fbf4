"""Image records through glance_lite.db.api on SQLite, MySQL and PostgreSQL."""
import datetime
import uuid

import pytest

from glance_lite.common import exception
from glance_lite.db import api as db_api
from tests.unit.db.dbtest import ADMIN, anonymous, make_image, user

OWNER = user('tenant-a')
OTHER = user('tenant-b')


def test_create_returns_the_stored_record(db):
    image = make_image(db, OWNER, name='cirros', disk_format='qcow2',
                       container_format='bare', size=13287936, checksum='a' * 32,
                       properties={'os_distro': 'cirros', 'empty': None},
                       locations=[{'url': 'file:///var/lib/glance/images/x',
                                   'metadata': {'store': 'file'}},
                                  'swift://acct/container/obj'],
                       tags=['small', 'small', 'test'])
    assert uuid.UUID(image['id'])
    assert image['owner'] == 'tenant-a'
    assert image['visibility'] == 'shared'
    assert (image['min_disk'], image['min_ram']) == (0, 0)
    assert image['protected'] is False and image['os_hidden'] is False
    assert image['deleted'] is False and image['deleted_at'] is None
    assert isinstance(image['created_at'], datetime.datetime)
    assert image['updated_at'] == image['created_at']
    assert image['properties'] == {'os_distro': 'cirros', 'empty': None}
    assert [(loc['url'], loc['metadata'], loc['status']) for loc in image['locations']] == [
        ('file:///var/lib/glance/images/x', {'store': 'file'}, 'active'),
        ('swift://acct/container/obj', {}, 'active')]
    assert image['tags'] == ['small', 'test']
    # What a later read returns is exactly what create returned (timestamps included).
    assert db_api.image_get(db, OWNER, image['id']) == image


def test_non_admin_cannot_create_for_another_owner(db):
    assert make_image(db, OWNER, owner='someone-else')['owner'] == 'tenant-a'
    assert make_image(db, ADMIN, owner='someone-else')['owner'] == 'someone-else'


def test_given_ids_are_canonical_and_case_insensitive(db):
    given = '6B3E0A0C-1111-4D2E-9F00-ABCDEFABCDEF'
    image = make_image(db, OWNER, id=given)
    assert image['id'] == given.lower()
    assert db_api.image_get(db, OWNER, given)['id'] == given.lower()
    with pytest.raises(exception.Duplicate) as err:
        make_image(db, OWNER, id=given.lower())
    assert str(err.value) == 'Image with identifier %s already exists!' % given.lower()


def test_ids_of_deleted_images_stay_taken(db):
    image = make_image(db, OWNER)
    db_api.image_destroy(db, OWNER, image['id'])
    with pytest.raises(exception.Duplicate):
        make_image(db, OWNER, id=image['id'])


@pytest.mark.parametrize('values, message', [
    ({'id': 'not-a-uuid'}, 'Invalid image id format'),
    ({'status': 'bogus'}, "Invalid image status 'bogus' for image."),
    ({'min_disk': 2 ** 31}, "'min_disk' value out of range, must not exceed 2147483647."),
    ({'min_ram': 2 ** 31}, "'min_ram' value out of range, must not exceed 2147483647."),
    ({'name': 'cat \U0001F431'}, "Name can't contain 4 byte unicode characters."),
    ({'properties': {'\U0001F431': 'x'}}, "Property names can't contain 4 byte unicode."),
    ({'properties': {'os_distro': '\U0001F431'}},
     "Os_Distro can't contain 4 byte unicode characters."),
    ({'name': 'x' * 256}, 'Image name too long: 256'),
    ({'checksum': 'c' * 33}, "Invalid checksum '%s': can't exceed 32 characters" % ('c' * 33)),
    ({'visibility': 'everyone'}, 'Invalid visibility value: everyone'),
    ({'size': 'big'}, 'Invalid int value for size: big'),
    ({'is_public': True}, 'Unknown image attribute(s): is_public'),
    ({'protected': 'maybe'}, 'Invalid boolean value for protected: maybe'),
])
def test_invalid_values_are_refused_before_sql(db, values, message):
    with pytest.raises(exception.Invalid) as err:
        make_image(db, OWNER, **values)
    assert str(err.value) == message
    assert err.value.http_status == 400
    assert db_api.image_get_all(db, ADMIN, filters={'visibility': 'all'}) == []


def test_status_is_required_on_create(db):
    with pytest.raises(exception.Invalid):
        db_api.image_create(db, OWNER, {'name': 'x'})


def test_update_upserts_or_purges_properties(db):
    image = make_image(db, OWNER, properties={'a': '1', 'b': '2'})
    updated = db_api.image_update(db, OWNER, image['id'], {'properties': {'b': '3', 'c': '4'}})
    assert updated['properties'] == {'a': '1', 'b': '3', 'c': '4'}
    purged = db_api.image_update(db, OWNER, image['id'], {'properties': {'c': '5'}},
                                 purge_props=True)
    assert purged['properties'] == {'c': '5'}
    # A purged name can be set again (its deleted row is revived, not duplicated).
    again = db_api.image_update(db, OWNER, image['id'], {'properties': {'a': 'back'}})
    assert again['properties'] == {'a': 'back', 'c': '5'}
    assert db_api.image_get(db, OWNER, image['id'])['properties'] == again['properties']


def test_update_sets_updated_at_and_ignores_timestamps_and_id(db):
    image = make_image(db, OWNER, name='old')
    past = datetime.datetime(2001, 1, 1)
    updated = db_api.image_update(db, OWNER, image['id'], {
        'name': 'new', 'created_at': past, 'updated_at': past, 'deleted_at': past,
        'deleted': True, 'id': str(uuid.uuid4())})
    assert updated['id'] == image['id'] and updated['name'] == 'new'
    assert updated['created_at'] == image['created_at']
    assert updated['updated_at'] >= image['updated_at']
    assert updated['deleted'] is False and updated['deleted_at'] is None


def test_owner_changes_only_by_admin(db):
    image = make_image(db, OWNER)
    assert db_api.image_update(db, OWNER, image['id'], {'owner': 'x'})['owner'] == 'tenant-a'
    assert db_api.image_update(db, ADMIN, image['id'], {'owner': 'x'})['owner'] == 'x'


def test_from_state_guards_the_update(db):
    image = make_image(db, OWNER, status='saving')
    with pytest.raises(exception.Conflict) as err:
        db_api.image_update(db, OWNER, image['id'], {'status': 'active'}, from_state='queued')
    assert str(err.value) == 'Image operation conflicts'
    assert db_api.image_get(db, OWNER, image['id'])['status'] == 'saving'
    done = db_api.image_update(db, OWNER, image['id'], {'status': 'active'},
                               from_state='saving')
    assert done['status'] == 'active'


@pytest.mark.parametrize('visibility, error', [
    ('private', exception.ImageNotFound), ('shared', exception.ImageNotFound),
    ('public', exception.Forbidden), ('community', exception.Forbidden)])
def test_others_cannot_change_or_delete(db, visibility, error):
    image = make_image(db, OWNER, visibility=visibility)
    db_api.image_member_create(db, ADMIN, {'image_id': image['id'], 'member': 'tenant-b',
                                           'status': 'accepted'})
    with pytest.raises(error):
        db_api.image_update(db, OTHER, image['id'], {'name': 'mine'})
    with pytest.raises(error):
        db_api.image_destroy(db, OTHER, image['id'])
    assert db_api.image_get(db, ADMIN, image['id'])['name'] == 'image'


def test_locations_are_replaced_by_id(db):
    image = make_image(db, OWNER, locations=['file:///a', 'file:///b'])
    first, second = image['locations']
    updated = db_api.image_update(db, OWNER, image['id'], {'locations': [
        dict(second, metadata={'moved': True}), {'url': 'file:///c'}]})
    assert [(loc['id'], loc['url'], loc['metadata']) for loc in updated['locations']] == [
        (second['id'], 'file:///b', {'moved': True}),
        (updated['locations'][1]['id'], 'file:///c', {})]
    assert updated['locations'][1]['id'] not in (first['id'], second['id'])
    with pytest.raises(exception.Invalid):
        db_api.image_update(db, OWNER, image['id'], {'locations': [{'id': 999999,
                                                                    'url': 'file:///z'}]})


def test_pending_delete_locations_are_shown_only_with_deleted_rows(db):
    image = make_image(db, OWNER, locations=['file:///a'])
    loc = image['locations'][0]
    updated = db_api.image_update(db, OWNER, image['id'], {
        'status': 'pending_delete', 'locations': [dict(loc, status='pending_delete')]})
    assert updated['locations'] == []
    shown = db_api.image_get(db, ADMIN, image['id'], force_show_deleted=True)
    assert [(x['id'], x['status']) for x in shown['locations']] == [
        (loc['id'], 'pending_delete')]


def test_destroy_soft_deletes_image_and_children(db):
    image = make_image(db, OWNER, properties={'a': '1'}, locations=['file:///a'],
                       tags=['t'], protected=True)
    db_api.image_member_create(db, OWNER, {'image_id': image['id'], 'member': 'tenant-b'})
    deleted = db_api.image_destroy(db, OWNER, image['id'])
    assert deleted['deleted'] is True and deleted['deleted_at'] is not None
    assert deleted['status'] == 'active'  # the API sets the status, not destroy
    assert [loc['status'] for loc in deleted['locations']] == ['deleted']
    with pytest.raises(exception.ImageNotFound):
        db_api.image_get(db, OWNER, image['id'])
    with pytest.raises(exception.ImageNotFound):
        db_api.image_get(db, ADMIN, image['id'])
    shown = db_api.image_get(db, ADMIN, image['id'], force_show_deleted=True)
    assert shown['deleted'] is True and shown['properties'] == {} and shown['tags'] == []
    assert db_api.image_member_find(db, ADMIN, image_id=image['id']) == []
    assert len(db_api.image_member_find(db, ADMIN, image_id=image['id'],
                                        include_deleted=True)) == 1
    # Owners cannot see (so cannot delete) it again; for admins it is a no-op.
    with pytest.raises(exception.ImageNotFound):
        db_api.image_destroy(db, OWNER, image['id'])
    assert db_api.image_destroy(db, ADMIN, image['id'])['deleted_at'] == deleted['deleted_at']


def test_admin_can_finish_a_deleted_image(db):
    """The scrubber moves a deleted pending_delete image to 'deleted'."""
    image = make_image(db, OWNER, status='pending_delete')
    db_api.image_destroy(db, OWNER, image['id'])
    done = db_api.image_update(db, ADMIN, image['id'], {'status': 'deleted'},
                               from_state='pending_delete')
    assert done['status'] == 'deleted' and done['deleted'] is True


@pytest.mark.parametrize('visibility, member_status, visible_to_other', [
    ('public', None, True), ('community', None, True), ('private', None, False),
    ('shared', None, False), ('shared', 'pending', True), ('shared', 'rejected', True),
    ('private', 'accepted', False)])
def test_who_can_read_an_image(db, visibility, member_status, visible_to_other):
    image = make_image(db, OWNER, visibility=visibility)
    if member_status:
        db_api.image_member_create(db, ADMIN, {'image_id': image['id'],
                                               'member': 'tenant-b',
                                               'status': member_status})
    assert db_api.image_get(db, OWNER, image['id'])['id'] == image['id']
    assert db_api.image_get(db, ADMIN, image['id'])['id'] == image['id']
    if visible_to_other:
        assert db_api.image_get(db, OTHER, image['id'])['id'] == image['id']
    else:
        with pytest.raises(exception.ImageNotFound):
            db_api.image_get(db, OTHER, image['id'])
    if visibility in ('public', 'community'):
        assert db_api.image_get(db, anonymous(), image['id'])['id'] == image['id']
    else:
        with pytest.raises(exception.ImageNotFound):
            db_api.image_get(db, anonymous(), image['id'])


def test_unknown_or_malformed_ids_are_not_found(db):
    for image_id in (str(uuid.uuid4()), 'junk', ''):
        with pytest.raises(exception.ImageNotFound):
            db_api.image_get(db, ADMIN, image_id)
        with pytest.raises(exception.ImageNotFound):
            db_api.image_update(db, ADMIN, image_id, {'name': 'x'})


def test_storage_usage_counts_live_copies(db):
    make_image(db, OWNER, size=100, locations=['file:///a', 'file:///b'])
    make_image(db, OWNER, size=10, locations=['file:///c'])
    make_image(db, OWNER, size=1000, status='killed', locations=['file:///d'])
    make_image(db, OWNER, size=5000)  # no data stored anywhere
    make_image(db, OTHER, size=7, locations=['file:///e'])
    uploading = make_image(db, OWNER, size=30, status='saving', locations=['file:///f'])
    gone = make_image(db, OWNER, size=40, locations=['file:///g'])
    db_api.image_destroy(db, OWNER, gone['id'])
    assert db_api.user_get_storage_usage(db, OWNER, 'tenant-a') == 240
    assert db_api.user_get_storage_usage(db, OWNER, 'tenant-a',
                                         image_id=uploading['id']) == 210
    assert db_api.user_get_storage_usage(db, OWNER, 'nobody') == 0
