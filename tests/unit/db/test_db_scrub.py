"""The scrub queue, scrub marks and restore (glance_lite.db.scrub) on every engine."""
import datetime

import pytest
from sqlalchemy import select

from glance_lite.common import exception
from glance_lite.db import api as db_api
from glance_lite.db import models
from tests.unit.db.dbtest import ADMIN, backdate, make_image, user

OWNER = user('owner')
FAR_FUTURE = datetime.datetime(2100, 1, 1)


def pending_image(db, urls=('file:///a',), **values):
    """An image deleted the way glance-api does with delayed_delete."""
    values.setdefault('properties', {'os_distro': 'demo'})
    values.setdefault('tags', ['t1'])
    image = make_image(db, OWNER, locations=list(urls), **values)
    db_api.image_member_create(db, OWNER, {'image_id': image['id'], 'member': 'friend'})
    pending = [dict(loc, status='pending_delete') for loc in image['locations']]
    db_api.image_update(db, OWNER, image['id'], {'status': 'pending_delete',
                                                 'locations': pending})
    db_api.image_destroy(db, OWNER, image['id'])
    return image


def queue(db, before=FAR_FUTURE, **kwargs):
    return db_api.pending_delete_images(db, before, **kwargs)


def location_rows(db, image_id):
    with db.engine.connect() as conn:
        rows = conn.execute(select(models.ImageLocation.status, models.ImageLocation.deleted)
                            .where(models.ImageLocation.image_id == image_id)
                            .order_by(models.ImageLocation.id))
        return [tuple(r) for r in rows]


def test_queue_holds_pending_images_with_their_pending_locations(db):
    image = pending_image(db, urls=('file:///a', 'file:///b'))
    make_image(db, OWNER, locations=['file:///live'])
    gone = make_image(db, OWNER, locations=['file:///c'])
    db_api.image_update(db, OWNER, gone['id'], {'status': 'deleted'})
    db_api.image_destroy(db, OWNER, gone['id'])

    [entry] = queue(db)
    assert entry['id'] == image['id']
    assert [(loc['url'], loc['status']) for loc in entry['locations']] == [
        ('file:///a', 'pending_delete'), ('file:///b', 'pending_delete')]
    assert location_rows(db, image['id']) == [('pending_delete', True)] * 2


def test_queue_leaves_out_images_deleted_after_the_cutoff(db):
    old = pending_image(db)
    recent = pending_image(db)
    backdate(db, models.Image, 2, id=old['id'])
    cutoff = models.utcnow() - datetime.timedelta(days=1)
    assert [e['id'] for e in queue(db, cutoff)] == [old['id']]
    assert {e['id'] for e in queue(db)} == {old['id'], recent['id']}


def test_queue_pages_oldest_first(db):
    images = [pending_image(db) for _ in range(5)]
    for days, image in zip((5, 4, 3, 3, 1), images):
        backdate(db, models.Image, days, id=image['id'])
    seen = []
    marker = None
    while True:
        page = queue(db, limit=2, marker=marker)
        seen += [e['id'] for e in page]
        if len(page) < 2:
            break
        marker = (page[-1]['deleted_at'], page[-1]['id'])
    same_day = sorted(i['id'] for i in images[2:4])
    assert seen == [images[0]['id'], images[1]['id']] + same_day + [images[4]['id']]


def test_scrub_marks_locations_then_the_image(db):
    image = pending_image(db, urls=('file:///a', 'file:///b'))
    first, second = queue(db)[0]['locations']

    assert db_api.location_set_scrubbed(db, first['id']) is True
    assert db_api.location_set_scrubbed(db, first['id']) is False
    assert db_api.image_set_scrubbed(db, image['id']) is False  # b still has data
    assert db_api.location_set_scrubbed(db, second['id']) is True
    assert db_api.image_set_scrubbed(db, image['id']) is True

    assert db_api.image_get(db, ADMIN, image['id'], force_show_deleted=True)['status'] \
        == 'deleted'
    assert location_rows(db, image['id']) == [('deleted', True)] * 2
    assert queue(db) == []
    assert db_api.image_set_scrubbed(db, image['id']) is False


def test_only_pending_delete_images_are_marked_scrubbed(db):
    live = make_image(db, OWNER)
    assert db_api.image_set_scrubbed(db, live['id']) is False
    assert db_api.image_get(db, ADMIN, live['id'])['status'] == 'active'


def test_restore_brings_back_image_locations_properties_tags_and_members(db):
    image = pending_image(db, urls=('file:///a', 'file:///b'))
    restored = db_api.image_restore(db, image['id'])

    assert restored['status'] == 'active' and restored['deleted'] is False
    assert restored['deleted_at'] is None
    assert [(loc['url'], loc['status']) for loc in restored['locations']] == [
        ('file:///a', 'active'), ('file:///b', 'active')]
    assert restored['properties'] == {'os_distro': 'demo'}
    assert restored['tags'] == ['t1']
    assert [m['member'] for m in db_api.image_member_find(db, OWNER,
                                                          image_id=image['id'])] \
        == ['friend']
    assert db_api.image_get(db, OWNER, image['id'])['status'] == 'active'
    assert queue(db) == []


def test_restore_keeps_what_was_deleted_before_the_image(db):
    image = make_image(db, OWNER, locations=['file:///a'],
                       properties={'keep': '1', 'dropped': '2'})
    db_api.image_update(db, OWNER, image['id'], {'properties': {'keep': '1'}},
                        purge_props=True)
    backdate(db, models.ImageProperty, 1, image_id=image['id'], name='dropped')
    current = db_api.image_get(db, OWNER, image['id'])
    pending = [dict(loc, status='pending_delete') for loc in current['locations']]
    db_api.image_update(db, OWNER, image['id'], {'status': 'pending_delete',
                                                 'locations': pending})
    db_api.image_destroy(db, OWNER, image['id'])

    assert db_api.image_restore(db, image['id'])['properties'] == {'keep': '1'}


def test_restore_of_unknown_image(db):
    for image_id in ('00000000-0000-4000-8000-000000000000', 'not-an-id'):
        with pytest.raises(exception.ImageNotFound,
                           match='No image found with ID %s' % image_id):
            db_api.image_restore(db, image_id)


def test_restore_of_an_image_in_another_status(db):
    image = make_image(db, OWNER)
    with pytest.raises(exception.Conflict) as info:
        db_api.image_restore(db, image['id'])
    assert info.value.msg == ('cannot restore the image from active to active '
                              '(wanted from_state=pending_delete)')


def test_restore_after_the_data_was_scrubbed_is_refused(db):
    image = pending_image(db)
    [loc] = queue(db)[0]['locations']
    db_api.location_set_scrubbed(db, loc['id'])
    with pytest.raises(exception.Conflict, match='already removed its data'):
        db_api.image_restore(db, image['id'])
    assert queue(db)[0]['id'] == image['id']
