"""Hard deletion of old soft-deleted rows (glance-manage db purge / purge_images_table).

Rows qualify when ``deleted_at`` is older than the cut-off; at most ``max_rows`` rows
are removed per table per run, oldest first.  Parents go after their children so no
foreign key is ever left dangling.
"""
import datetime
import logging

from sqlalchemy import delete, select

from glance_lite.common import exception
from glance_lite.db import models, validation

LOG = logging.getLogger(__name__)

_IMAGE_CHILDREN = (models.ImageProperty, models.ImageLocation, models.ImageMember,
                   models.ImageTag)


def _cutoff(db, age_in_days):
    return db.now() - datetime.timedelta(days=age_in_days)


def _check_max_rows(max_rows):
    if max_rows > validation.MAX_INT32:
        raise exception.Invalid("'max_rows' value out of range, must not exceed %d."
                                % validation.MAX_INT32)


def _oldest_deleted(session, model, key, cutoff, max_rows):
    stmt = (select(key).where(model.deleted_at < cutoff)
            .order_by(model.deleted_at, key).limit(max_rows))
    return list(session.scalars(stmt))


def _delete_by_keys(session, model, key, keys):
    # In chunks: some engines limit the size of an IN list.
    count = 0
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        count += session.execute(delete(model).where(key.in_(chunk))).rowcount
    return count


def purge_deleted_rows(db, age_in_days, max_rows):
    """Purge every soft-delete table except ``images``; returns {table: rows removed}.

    Image children first, then tasks (with their task_info rows, which have no
    deleted flag of their own).
    """
    _check_max_rows(max_rows)
    cutoff = _cutoff(db, age_in_days)
    counts = {}
    for model in _IMAGE_CHILDREN:
        counts[model.__tablename__] = db.run(
            lambda s, m=model: _delete_by_keys(
                s, m, m.id, _oldest_deleted(s, m, m.id, cutoff, max_rows)), write=True)

    def purge_tasks(session):
        ids = _oldest_deleted(session, models.Task, models.Task.id, cutoff, max_rows)
        info = _delete_by_keys(session, models.TaskInfo, models.TaskInfo.task_id, ids)
        return info, _delete_by_keys(session, models.Task, models.Task.id, ids)

    counts['task_info'], counts['tasks'] = db.run(purge_tasks, write=True)
    for table, count in counts.items():
        LOG.info('Purged %(count)d deleted row(s) older than %(age)d day(s) from '
                 '%(table)s', {'count': count, 'age': age_in_days, 'table': table})
    return counts


def purge_deleted_images(db, age_in_days, max_rows):
    """Purge old soft-deleted rows of ``images``; returns the number removed.

    Remaining child rows of those images (normally already purged by
    :func:`purge_deleted_rows`) go with them: they are meaningless without it.
    """
    _check_max_rows(max_rows)
    cutoff = _cutoff(db, age_in_days)
    image_cls = models.Image

    def txn(session):
        ids = _oldest_deleted(session, image_cls, image_cls.id, cutoff, max_rows)
        for model in _IMAGE_CHILDREN:
            for start in range(0, len(ids), 500):
                session.execute(delete(model).where(
                    model.image_id.in_(ids[start:start + 500])))
        return _delete_by_keys(session, image_cls, image_cls.id, ids)

    count = db.run(txn, write=True)
    LOG.info('Purged %(count)d deleted row(s) older than %(age)d day(s) from images',
             {'count': count, 'age': age_in_days})
    return count
