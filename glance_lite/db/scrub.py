"""What glance-scrubber reads and writes: images waiting in ``pending_delete``.

A delayed delete (cache-and-scrubber.md §5) leaves the image row soft-deleted with
status ``pending_delete`` and each location that held data soft-deleted with status
``pending_delete``.  The scrubber removes the data, marks each location ``deleted``
(:func:`location_set_scrubbed`), then the image (:func:`image_set_scrubbed`); or an
operator brings the image back (:func:`image_restore`).  The scrubber acts for the
operator, so these functions take no caller context.
"""
from sqlalchemy import and_, or_, orm, select, true, update

from glance_lite.common import exception
from glance_lite.db import models, validation
from glance_lite.db.images import image_to_dict, location_to_dict

PENDING = 'pending_delete'


def _pending_filter():
    return and_(models.Image.deleted == true(), models.Image.status == PENDING)


def pending_delete_images(db, deleted_before, limit=1000, marker=None):
    """One page of the scrub queue, oldest deletion first.

    :param deleted_before: only images deleted at or before this (naive UTC)
        datetime: the ``scrub_time`` window of the others has not passed.
    :param marker: ``(deleted_at, id)`` of the last image of the previous page.
    :returns: ``[{id, deleted_at, locations}]`` where ``locations`` are the image's
        ``pending_delete`` locations (``{id, url, metadata, status}``), URLs as stored.
    """
    image_cls, loc_cls = models.Image, models.ImageLocation
    stmt = (select(image_cls)
            .where(_pending_filter(), image_cls.deleted_at <= deleted_before)
            .options(orm.selectinload(image_cls.locations.and_(loc_cls.status == PENDING)))
            .order_by(image_cls.deleted_at, image_cls.id)
            .limit(limit))
    if marker is not None:
        when, image_id = marker
        stmt = stmt.where(or_(image_cls.deleted_at > when,
                              and_(image_cls.deleted_at == when, image_cls.id > image_id)))

    def txn(session):
        return [{'id': image.id, 'deleted_at': image.deleted_at,
                 'locations': [location_to_dict(loc) for loc in image.locations]}
                for image in session.scalars(stmt)]

    return db.run(txn)


def location_set_scrubbed(db, location_id):
    """Mark a ``pending_delete`` location ``deleted`` (its data is gone).

    :returns: False when it was not pending_delete any more (restored, or done by
        another scrubber).
    """
    loc_cls = models.ImageLocation
    stmt = (update(loc_cls)
            .where(loc_cls.id == location_id, loc_cls.status == PENDING)
            .values(status='deleted', updated_at=db.now()))

    def txn(session):
        return session.execute(stmt).rowcount == 1

    return db.run(txn, write=True)


def image_set_scrubbed(db, image_id):
    """Mark a ``pending_delete`` image ``deleted`` once none of its locations is
    pending any more.

    :returns: False (nothing changed) when the image is not pending_delete or still
        has data waiting to be removed.
    """
    image_cls, loc_cls = models.Image, models.ImageLocation

    def txn(session):
        waiting = select(loc_cls.id).where(loc_cls.image_id == image_id,
                                           loc_cls.status == PENDING)
        if session.execute(waiting.limit(1)).first() is not None:
            return False
        stmt = (update(image_cls)
                .where(image_cls.id == image_id, _pending_filter())
                .values(status='deleted', updated_at=db.now()))
        return session.execute(stmt).rowcount == 1

    return db.run(txn, write=True)


def image_restore(db, image_id):
    """Bring a ``pending_delete`` image back to ``active``; returns its dict.

    Everything the delete hid comes back with it: the pending locations (their data
    is still in the store), and the properties, tags and memberships deleted together
    with the image row.  (Glance revived the image row alone, leaving an active image
    without data or properties.)

    :raises ImageNotFound: no such image.
    :raises Conflict: the image is not pending_delete, or its data is already gone.
    """
    not_found = exception.ImageNotFound('No image found with ID %s' % image_id)
    canonical = validation.canonical_id(image_id)
    if canonical is None:
        raise not_found

    def txn(session):
        image = session.scalars(
            select(models.Image).where(models.Image.id == canonical)
            .options(orm.selectinload(models.Image.properties),
                     orm.selectinload(models.Image.locations),
                     orm.selectinload(models.Image.tags))
            .with_for_update()).first()
        if image is None:
            raise not_found
        if image.status != PENDING:
            raise exception.Conflict('cannot restore the image from %s to active '
                                     '(wanted from_state=%s)' % (image.status, PENDING))
        pending = [loc for loc in image.locations if loc.status == PENDING]
        if not pending:
            raise exception.Conflict('cannot restore image %s: the scrubber has already '
                                     'removed its data' % image.id)
        now = db.now()
        deleted_at = image.deleted_at
        for loc in pending:
            _revive(loc, now)
            loc.status = 'active'
        for row in image.properties + image.tags:
            if row.deleted and row.deleted_at == deleted_at:
                _revive(row, now)
        members = session.scalars(select(models.ImageMember).where(
            models.ImageMember.image_id == image.id,
            models.ImageMember.deleted == true(),
            models.ImageMember.deleted_at == deleted_at))
        for row in members:
            _revive(row, now)
        _revive(image, now)
        image.status = 'active'
        session.flush()
        return image_to_dict(image)

    return db.run(txn, write=True)


def _revive(row, now):
    row.deleted = False
    row.deleted_at = None
    row.updated_at = now
