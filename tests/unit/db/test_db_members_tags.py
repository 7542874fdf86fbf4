"""Memberships and tags through glance_lite.db.api on every engine."""
import pytest

from glance_lite.common import exception
from glance_lite.db import api as db_api
from tests.unit.db.dbtest import ADMIN, make_image, user

OWNER = user('owner')
MEMBER = user('member')
STRANGER = user('stranger')


@pytest.fixture
def image(db):
    return make_image(db, OWNER, visibility='shared')


def add_member(db, image, member='member', **values):
    return db_api.image_member_create(db, OWNER, dict(values, image_id=image['id'],
                                                      member=member))


def test_create_defaults_and_duplicates(db, image):
    member = add_member(db, image)
    assert {k: member[k] for k in ('image_id', 'member', 'can_share', 'status',
                                   'deleted', 'deleted_at')} == {
        'image_id': image['id'], 'member': 'member', 'can_share': False,
        'status': 'pending', 'deleted': False, 'deleted_at': None}
    assert member['created_at'] == member['updated_at']
    with pytest.raises(exception.Duplicate):
        add_member(db, image)
    assert db_api.image_member_count(db, OWNER, image['id']) == 1


def test_deleted_membership_is_revived(db, image):
    first = add_member(db, image, status='accepted', can_share=True)
    db_api.image_member_delete(db, OWNER, first['id'])
    assert db_api.image_member_count(db, OWNER, image['id']) == 0
    with pytest.raises(exception.MemberNotFound):
        db_api.image_member_delete(db, OWNER, first['id'])
    again = add_member(db, image)
    assert again['id'] == first['id']
    assert (again['status'], again['can_share'], again['deleted']) == ('pending', False,
                                                                       False)
    assert len(db_api.image_member_find(db, ADMIN, image_id=image['id'],
                                        include_deleted=True)) == 1


def test_update_status_and_can_share(db, image):
    member = add_member(db, image)
    updated = db_api.image_member_update(db, MEMBER, member['id'], {'status': 'accepted'})
    assert updated['status'] == 'accepted' and updated['can_share'] is False
    updated = db_api.image_member_update(db, OWNER, member['id'], {'can_share': True})
    assert updated['status'] == 'accepted' and updated['can_share'] is True
    with pytest.raises(exception.Invalid):
        db_api.image_member_update(db, OWNER, member['id'], {'status': 'maybe'})
    with pytest.raises(exception.MemberNotFound):
        db_api.image_member_update(db, OWNER, 987654, {'status': 'accepted'})


def test_find_shows_rows_to_owner_member_and_admin_only(db, image):
    add_member(db, image, member='member')
    add_member(db, image, member='other', status='accepted')

    def members(ctx, **kwargs):
        return sorted(m['member'] for m in db_api.image_member_find(db, ctx, **kwargs))

    assert members(OWNER, image_id=image['id']) == ['member', 'other']
    assert members(ADMIN) == ['member', 'other']
    assert members(MEMBER) == ['member']
    assert members(STRANGER) == []
    assert members(OWNER, status='accepted') == ['other']
    assert members(OWNER, member='member') == ['member']
    assert members(ADMIN, image_id=image['id'].upper()) == ['member', 'other']


def test_members_need_a_live_image(db, image):
    db_api.image_destroy(db, OWNER, image['id'])
    with pytest.raises(exception.ImageNotFound):
        add_member(db, image)
    with pytest.raises(exception.ImageNotFound):
        db_api.image_member_create(db, ADMIN, {'image_id': 'nope', 'member': 'x'})


@pytest.mark.parametrize('values', [
    {'member': ''}, {'member': 'x' * 256}, {'status': 'bogus'}, {'can_share': 'perhaps'}])
def test_bad_member_values(db, image, values):
    with pytest.raises(exception.Invalid):
        db_api.image_member_create(db, OWNER, dict({'image_id': image['id'],
                                                    'member': 'm'}, **values))


def test_tags(db, image):
    image_id = image['id']
    assert db_api.image_tag_get_all(db, OWNER, image_id) == []
    assert db_api.image_tag_set_all(db, OWNER, image_id, ['b', 'a', 'b']) == ['b', 'a']
    assert db_api.image_tag_create(db, OWNER, image_id, 'c') == 'c'
    assert db_api.image_tag_create(db, OWNER, image_id, 'a') == 'a'
    assert db_api.image_tag_get_all(db, OWNER, image_id) == ['b', 'a', 'c']
    db_api.image_tag_delete(db, OWNER, image_id, 'b')
    with pytest.raises(exception.NotFound):
        db_api.image_tag_delete(db, OWNER, image_id, 'b')
    assert db_api.image_get(db, OWNER, image_id)['tags'] == ['a', 'c']
    db_api.image_tag_set_all(db, OWNER, image_id, ['c', 'd'])
    assert db_api.image_tag_get_all(db, OWNER, image_id) == ['c', 'd']
    with pytest.raises(exception.Invalid):
        db_api.image_tag_create(db, OWNER, image_id, 'x' * 256)
    with pytest.raises(exception.Invalid):
        db_api.image_tag_create(db, OWNER, image_id, 'smile \U0001F600')
    with pytest.raises(exception.ImageNotFound):
        db_api.image_tag_get_all(db, OWNER, 'c0ffee00-0000-4000-8000-000000000000')
