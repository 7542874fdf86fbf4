"""``/images/{id}/members`` and ``/shared-images/{member}`` (registry.md §2, api-v1 §9).

Who may change an image's members: an admin, the image's owner, or a member whose
membership has ``can_share``.  A caller without an owner (no project) is refused with
401 unless admin.  Re-adding a deleted membership revives it.
"""
import logging

import webob.exc

from glance_lite.common import exception, wsgi
from glance_lite.db import api as db_api, validation
from glance_lite.registry.api import caller, wire

LOG = logging.getLogger(__name__)


def _invalid_membership(reason):
    return exception.Invalid('Invalid membership association: %s' % reason)


def _can_share(value):
    if not isinstance(value, bool):
        raise _invalid_membership('can_share must be a boolean')
    return value


def parse_memberships(body):
    """``{"memberships": [{"member_id", "can_share"?}]}`` → ``{member: can_share|None}``
    in request order (a later entry for the same member wins)."""
    if not isinstance(body, dict) or 'memberships' not in body:
        raise _invalid_membership('expected an object with "memberships"')
    memberships = body['memberships']
    if not isinstance(memberships, list):
        raise _invalid_membership('"memberships" must be a list')
    wanted = {}
    for item in memberships:
        if not isinstance(item, dict) or not isinstance(item.get('member_id'), str) \
                or not item['member_id']:
            raise _invalid_membership('each membership needs a "member_id" string')
        can_share = item.get('can_share')
        wanted[item['member_id']] = None if can_share is None else _can_share(can_share)
    return wanted


def parse_member(body):
    """Empty body → ``{}`` (keep everything); ``{"member": {"can_share": bool}}`` and/or
    ``{"member": {"status": s}}`` (the v2 extension) → the changes asked for."""
    if body is None:
        return {}
    member = body.get('member') if isinstance(body, dict) else None
    if not isinstance(member, dict) or not ({'can_share', 'status'} & set(member)):
        raise _invalid_membership('expected {"member": {"can_share": true|false}}')
    changes = {}
    if 'can_share' in member:
        changes['can_share'] = _can_share(member['can_share'])
    if 'status' in member:
        changes['status'] = validation.member_status(member['status'])
    return changes


def member_to_wire(row):
    """The wire form of a membership: v1's fields plus v2's status and times."""
    return {'member_id': row['member'], 'image_id': row['image_id'],
            'can_share': row['can_share'], 'status': row['status'],
            'created_at': wire.format_time(row['created_at']),
            'updated_at': wire.format_time(row['updated_at'])}


class MembersController:
    """:param db: the process's ``db.api.Database``."""

    def __init__(self, db):
        self.db = db

    def index(self, req, image_id):
        """``{"members": [{"member_id", "can_share"}]}``; 404 if the image is not
        visible to the caller."""
        ctx = caller.context_of(req)
        self._visible_image(ctx, image_id)
        members = db_api.image_member_find(self.db, ctx, image_id=image_id)
        return {'members': [member_to_wire(m) for m in members]}

    def shared_images(self, req, member):
        """``{"shared_images": [{"image_id", "can_share"}]}`` of ``member``."""
        ctx = caller.context_of(req)
        members = db_api.image_member_find(self.db, ctx, member=member)
        return {'shared_images': [{'image_id': m['image_id'], 'can_share': m['can_share']}
                                  for m in members]}

    def replace_all(self, req, image_id):
        """Make the body's memberships the image's only ones; 204.

        Members not listed are deleted; listed ones are created (``can_share`` false
        unless given), revived, or get the given ``can_share``.
        """
        ctx, image = self._shareable_image(req, image_id)
        wanted = parse_memberships(wsgi.json_body(req))
        rows = db_api.image_member_find(self.db, ctx, image_id=image['id'])
        for row in rows:
            if row['member'] not in wanted:
                db_api.image_member_delete(self.db, ctx, row['id'])
        for member, can_share in wanted.items():
            self._set_member(ctx, image['id'], member, can_share,
                             [r for r in rows if r['member'] == member])
        LOG.info('Replaced the members of image %s', image_id)
        return webob.exc.HTTPNoContent()

    def add_member(self, req, image_id, member):
        """Add ``member`` or change its ``can_share`` (only when a body gives it); 204.

        A body with ``status`` (v2) changes an existing membership's status, which only
        the member itself or an admin may do.
        """
        changes = parse_member(wsgi.json_body(req))
        if 'status' in changes:
            return self._set_status(req, image_id, member, changes)
        ctx, image = self._shareable_image(req, image_id)
        rows = db_api.image_member_find(self.db, ctx, image_id=image['id'], member=member)
        self._set_member(ctx, image['id'], member, changes.get('can_share'), rows)
        LOG.info('Added or updated member %s of image %s', member, image_id)
        return webob.exc.HTTPNoContent()

    def _set_status(self, req, image_id, member, changes):
        ctx = caller.writable_context_of(req)
        if not ctx.is_admin and ctx.owner != member:
            raise exception.Forbidden('Only the member itself may change its status')
        image = self._visible_image(ctx, image_id)
        rows = db_api.image_member_find(self.db, ctx, image_id=image['id'], member=member)
        if not rows:
            raise exception.MemberNotFound('Membership could not be found.')
        db_api.image_member_update(self.db, ctx, rows[0]['id'], changes)
        LOG.info('Member %s of image %s is now %s', member, image_id, changes['status'])
        return webob.exc.HTTPNoContent()

    def delete_member(self, req, image_id, member):
        """Remove ``member``; 204, or 404 "Membership could not be found."."""
        ctx, image = self._shareable_image(req, image_id)
        rows = db_api.image_member_find(self.db, ctx, image_id=image['id'], member=member)
        if not rows:
            raise exception.MemberNotFound('Membership could not be found.')
        db_api.image_member_delete(self.db, ctx, rows[0]['id'])
        LOG.info('Removed member %s of image %s', member, image_id)
        return webob.exc.HTTPNoContent()

    def _set_member(self, ctx, image_id, member, can_share, live):
        """Create (or revive, which the database does) the membership of ``member``,
        or set its ``can_share`` when given.

        :param can_share: None keeps an existing value (false for a new one).
        :param live: the member's live rows for this image.
        """
        if not live:
            db_api.image_member_create(self.db, ctx, {'image_id': image_id,
                                                      'member': member,
                                                      'can_share': bool(can_share)})
        elif can_share is not None and live[0]['can_share'] != can_share:
            db_api.image_member_update(self.db, ctx, live[0]['id'],
                                       {'can_share': can_share})

    def _visible_image(self, ctx, image_id):
        try:
            return db_api.image_get(self.db, ctx, image_id)
        except (exception.NotFound, exception.Forbidden):
            raise exception.ImageNotFound('Image not found')

    def _shareable_image(self, req, image_id):
        """(ctx, image) when the caller may change the image's members."""
        ctx = caller.writable_context_of(req)
        if ctx.owner is None and not ctx.is_admin:
            raise exception.NotAuthenticated('No authenticated user')
        image = self._visible_image(ctx, image_id)
        if not self._may_share(ctx, image):
            LOG.info('Caller %s may not share image %s', ctx.owner, image_id)
            raise exception.Forbidden('No permission to share that image')
        return ctx, image

    def _may_share(self, ctx, image):
        if ctx.is_admin or ctx.owner == image['owner']:
            return True
        own = db_api.image_member_find(self.db, ctx, image_id=image['id'],
                                       member=ctx.owner)
        return bool(own) and bool(own[0]['can_share'])
