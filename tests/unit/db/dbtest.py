"""Helpers shared by the database tests: contexts and quick image creation."""
import datetime

from sqlalchemy import update

from glance_lite.common.context import RequestContext
from glance_lite.db import api as db_api
from glance_lite.db import models

ADMIN = RequestContext(is_admin=True, overwrite=False)


def user(project):
    """A non-admin caller of ``project`` (``owner`` is the project)."""
    return RequestContext(project_id=project, user_id='u-' + str(project), is_admin=False,
                          overwrite=False)


def anonymous():
    return RequestContext(is_admin=False, overwrite=False)


def make_image(db, ctx=ADMIN, **values):
    values.setdefault('status', 'active')
    values.setdefault('name', 'image')
    return db_api.image_create(db, ctx, values)


def backdate(db, model, days, **where):
    """Move ``deleted_at`` (and created/updated) of matching rows ``days`` back."""
    when = models.utcnow().replace(microsecond=0) - datetime.timedelta(days=days)
    stmt = update(model).values(deleted_at=when)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    with db.engine.begin() as conn:
        conn.execute(stmt)


def ids(images):
    return [i['id'] for i in images]
