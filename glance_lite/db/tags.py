"""Image tags (v2).  Authorisation is the API's job; the image must exist here."""
from sqlalchemy import false, select

from glance_lite.common import exception
from glance_lite.db import images, models, validation

Tag = models.ImageTag


def _live_image(session, image_id, with_tags=False):
    canonical = validation.canonical_id(image_id)
    stmt = select(models.Image).where(models.Image.id == canonical,
                                      models.Image.deleted == false())
    if with_tags:
        stmt = images.with_children(stmt)
    image = session.scalars(stmt).first() if canonical else None
    if image is None:
        raise exception.ImageNotFound(image_id=image_id)
    return image


def image_tag_get_all(db, ctx, image_id):
    """Live tags of an image, in the order they were added."""
    def txn(session):
        image = _live_image(session, image_id)
        stmt = select(Tag.value).where(Tag.image_id == image.id,
                                       Tag.deleted == false()).order_by(Tag.id)
        return list(session.scalars(stmt))

    return db.run(txn)


def image_tag_set_all(db, ctx, image_id, tags):
    """Make the live tags exactly ``tags`` (duplicates dropped); returns them."""
    if not isinstance(tags, (list, tuple)):
        raise exception.Invalid('Image tags must be a list.')
    tags = list(dict.fromkeys(validation.tag(t) for t in tags))
    now = db.now()

    def txn(session):
        image = _live_image(session, image_id, with_tags=True)
        images.set_tags(image, tags, now)
        session.flush()
        return tags

    return db.run(txn, write=True)


def image_tag_create(db, ctx, image_id, value):
    """Add a tag (no-op when already present); returns the tag."""
    value = validation.tag(value)
    now = db.now()

    def txn(session):
        image = _live_image(session, image_id)
        present = session.execute(select(Tag.id).where(
            Tag.image_id == image.id, Tag.value == value, Tag.deleted == false())).first()
        if present is None:
            session.add(Tag(image_id=image.id, value=value, created_at=now,
                            updated_at=now, deleted=False))
        return value

    return db.run(txn, write=True)


def image_tag_delete(db, ctx, image_id, value):
    """Remove a tag; NotFound when the image does not carry it."""
    now = db.now()

    def txn(session):
        image = _live_image(session, image_id)
        rows = session.scalars(select(Tag).where(
            Tag.image_id == image.id, Tag.value == value, Tag.deleted == false())).all()
        if not rows:
            raise exception.NotFound('Tag %s not found for image %s' % (value, image.id))
        for row in rows:
            row.deleted = True
            row.deleted_at = now
            row.updated_at = now

    db.run(txn, write=True)
