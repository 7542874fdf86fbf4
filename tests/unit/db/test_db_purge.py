"""Purging old soft-deleted rows (what glance-manage db purge* runs)."""
import pytest
from sqlalchemy import func, insert, select

from glance_lite.common import exception
from glance_lite.db import api as db_api
from glance_lite.db import models
from tests.unit.db.dbtest import ADMIN, backdate, make_image, user

OWNER = user('owner')


def count(db, model, **where):
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    with db.engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def column(db, stmt):
    with db.engine.connect() as conn:
        return sorted(conn.execute(stmt).scalars())


def deleted_image(db, days_ago):
    image = make_image(db, OWNER, properties={'a': '1'}, locations=['file:///x'],
                       tags=['t'])
    db_api.image_member_create(db, OWNER, {'image_id': image['id'], 'member': 'm'})
    db_api.image_destroy(db, OWNER, image['id'])
    for model in (models.Image, models.ImageProperty, models.ImageLocation,
                  models.ImageMember, models.ImageTag):
        key = 'id' if model is models.Image else 'image_id'
        backdate(db, model, days_ago, **{key: image['id']})
    return image


def add_task(db, task_id, deleted_days_ago=None):
    now = models.utcnow().replace(microsecond=0)
    with db.engine.begin() as conn:
        conn.execute(insert(models.Task).values(
            id=task_id, type='import', status='success', owner='owner', created_at=now,
            deleted=deleted_days_ago is not None))
        conn.execute(insert(models.TaskInfo).values(task_id=task_id, input='{}'))
    if deleted_days_ago is not None:
        backdate(db, models.Task, deleted_days_ago, id=task_id)


def test_purge_removes_old_deleted_children_and_tasks_but_not_images(db):
    old = deleted_image(db, 40)
    recent = deleted_image(db, 5)
    live = make_image(db, OWNER, properties={'a': '1'}, locations=['file:///y'])
    add_task(db, 'old-task', deleted_days_ago=40)
    add_task(db, 'new-task', deleted_days_ago=5)
    add_task(db, 'live-task')

    counts = db_api.purge_deleted_rows(db, 30, 100)
    assert counts == {'image_properties': 1, 'image_locations': 1, 'image_members': 1,
                      'image_tags': 1, 'task_info': 1, 'tasks': 1}
    for model in (models.ImageProperty, models.ImageLocation, models.ImageMember,
                  models.ImageTag):
        assert count(db, model, image_id=old['id']) == 0
        assert count(db, model, image_id=recent['id']) == 1
    assert count(db, models.ImageProperty, image_id=live['id']) == 1
    assert count(db, models.Image) == 3
    assert column(db, select(models.Task.id)) == ['live-task', 'new-task']
    assert count(db, models.TaskInfo) == 2


def test_purge_images_table(db):
    old = deleted_image(db, 200)
    recent = deleted_image(db, 100)
    live = make_image(db, OWNER)
    assert db_api.purge_deleted_images(db, 180, 100) == 1
    assert column(db, select(models.Image.id)) == sorted([recent['id'], live['id']])
    assert count(db, models.ImageProperty, image_id=old['id']) == 0
    with pytest.raises(exception.ImageNotFound):
        db_api.image_get(db, ADMIN, old['id'], force_show_deleted=True)


def test_purge_respects_max_rows_oldest_first(db):
    images = [deleted_image(db, days) for days in (50, 60, 70)]
    assert db_api.purge_deleted_images(db, 30, 2) == 2
    assert column(db, select(models.Image.id)) == [images[0]['id']]
    with pytest.raises(exception.Invalid):
        db_api.purge_deleted_rows(db, 30, 2 ** 31)
