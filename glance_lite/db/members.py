"""Image memberships (sharing an image with other projects).

Authorisation of sharing (who may add or change members) is the registry's job; the
database only lets non-admins *see* rows of images they own or rows naming them.
Rows are soft-deleted and revived when the same project is added again.
"""
from sqlalchemy import false, func, or_, select

from glance_lite.common import exception
from glance_lite.db import models, validation

Member = models.ImageMember

_WRITABLE = ('can_share', 'status')


def member_to_dict(row):
    return {'id': row.id, 'image_id': row.image_id, 'member': row.member,
            'can_share': row.can_share, 'status': row.status,
            'created_at': row.created_at, 'updated_at': row.updated_at,
            'deleted_at': row.deleted_at, 'deleted': row.deleted}


def image_member_find(db, ctx, image_id=None, member=None, status=None,
                      include_deleted=False):
    """Membership dicts matching the given fields, oldest first.

    Non-admins see only rows of images they own or rows where they are the member.
    """
    def txn(session):
        stmt = select(Member)
        if not include_deleted:
            stmt = stmt.where(Member.deleted == false())
        if not ctx.is_admin:
            if ctx.owner is None:
                return []
            stmt = stmt.join(models.Image, models.Image.id == Member.image_id).where(
                or_(models.Image.owner == ctx.owner, Member.member == ctx.owner))
        if image_id is not None:
            stmt = stmt.where(Member.image_id == _image_id(image_id))
        if member is not None:
            stmt = stmt.where(Member.member == member)
        if status is not None:
            stmt = stmt.where(Member.status == status)
        return [member_to_dict(m) for m in session.scalars(stmt.order_by(Member.id))]

    return db.run(txn)


def image_member_create(db, ctx, values):
    """Share ``values['image_id']`` with ``values['member']``; returns the member dict.

    ``can_share`` defaults to False and ``status`` to 'pending'.  A soft-deleted
    membership of the same pair is revived (with the new values) instead of adding a
    row; a live one is a Duplicate.  The image must exist and not be deleted.
    """
    if not isinstance(values, dict):
        raise exception.Invalid('Member values must be an object.')
    image_id = _image_id(values.get('image_id'))
    member = validation.member_name(values.get('member'))
    can_share = validation.boolean('can_share', values.get('can_share') or False)
    status = validation.member_status(values.get('status') or 'pending')
    now = db.now()

    def txn(session):
        image = session.get(models.Image, image_id)
        if image is None or image.deleted:
            raise exception.ImageNotFound(image_id=values.get('image_id'))
        rows = session.scalars(select(Member).where(
            Member.image_id == image_id, Member.member == member)
            .order_by(Member.id.desc()).with_for_update()).all()
        if any(not r.deleted for r in rows):
            raise exception.Duplicate('Member %s is duplicated for image %s'
                                      % (member, image_id))
        if rows:
            row = rows[0]
            row.deleted = False
            row.deleted_at = None
        else:
            row = Member(image_id=image_id, member=member, created_at=now, deleted=False)
            session.add(row)
        row.can_share = can_share
        row.status = status
        row.updated_at = now
        session.flush()
        return member_to_dict(row)

    return db.run(txn, write=True)


def image_member_update(db, ctx, member_id, values):
    """Change ``can_share`` and/or ``status`` of a live membership; MemberNotFound."""
    if not isinstance(values, dict):
        raise exception.Invalid('Member values must be an object.')
    unknown = set(values) - set(_WRITABLE) - {'image_id', 'member', 'id'}
    if unknown:
        raise exception.Invalid('Unknown member attribute(s): %s'
                                % ', '.join(sorted(unknown)))
    changes = {}
    if values.get('can_share') is not None:
        changes['can_share'] = validation.boolean('can_share', values['can_share'])
    if values.get('status') is not None:
        changes['status'] = validation.member_status(values['status'])
    now = db.now()

    def txn(session):
        row = _live_member(session, member_id, for_update=True)
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = now
        session.flush()
        return member_to_dict(row)

    return db.run(txn, write=True)


def image_member_delete(db, ctx, member_id):
    """Soft-delete a live membership; MemberNotFound if there is none."""
    now = db.now()

    def txn(session):
        row = _live_member(session, member_id, for_update=True)
        row.deleted = True
        row.deleted_at = now
        row.updated_at = now

    db.run(txn, write=True)


def image_member_count(db, ctx, image_id):
    """Number of live memberships of an image."""
    if image_id is None:
        raise exception.Invalid('Image id is required.')
    canonical = _image_id(image_id)

    def txn(session):
        stmt = select(func.count(Member.id)).where(Member.image_id == canonical,
                                                   Member.deleted == false())
        return int(session.execute(stmt).scalar_one())

    return db.run(txn)


def _image_id(value):
    # Unknown spellings cannot match a stored (canonical) id; keep them as given.
    return validation.canonical_id(value) or value


def _live_member(session, member_id, for_update=False):
    try:
        member_id = int(member_id)
    except (TypeError, ValueError):
        raise exception.MemberNotFound()
    stmt = select(Member).where(Member.id == member_id, Member.deleted == false())
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).first()
    if row is None:
        raise exception.MemberNotFound()
    return row
