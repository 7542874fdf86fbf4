"""v2 /images/{id}/members and /images/{id}/tags (api-v2.md §6, §7)."""
from glance_lite.api.v2 import view
from glance_lite.api.v2.images import (ctx_of, json_body, no_content, refuse_body,
                                       visible_record)
from glance_lite.common import exception
from glance_lite.images import records, validation

MEMBER_STATUSES = ('pending', 'accepted', 'rejected')


def _json(req):
    if not req.body:
        return None
    return json_body(req)


class MembersController:
    def __init__(self, deps):
        self.deps = deps

    def _shared_image(self, ctx, image_id, what):
        record = visible_record(self.deps, ctx, image_id)
        if record['visibility'] != 'shared':
            raise exception.Forbidden('%s of image %s: Only shared images have members.'
                                      % (what, image_id))
        return record

    def _members(self, ctx, image_id):
        return self.deps.registry_for(ctx).get_image_members(image_id)

    def create(self, req, image_id):
        ctx = ctx_of(req)
        self.deps.policy.enforce(ctx, 'add_member')
        body = _json(req)
        if not isinstance(body, dict) or 'member' not in body:
            raise exception.Invalid('Member to be added not specified')
        member_id = body['member']
        if not isinstance(member_id, str) or not member_id.strip():
            raise exception.Invalid("Member can't be empty")
        record = self._shared_image(ctx, image_id, 'Error adding member')
        records.require_owner(ctx, record, 'Not allowed to create members for image %s.'
                              % image_id)
        members = self._members(ctx, image_id)
        if any(m['member_id'] == member_id for m in members):
            raise exception.Duplicate('Member %s already exists for image %s.'
                                      % (member_id, image_id))
        validation.check_member_quota(self.deps.settings, len(members) + 1)
        registry = self.deps.registry_for(ctx)
        registry.add_member(image_id, member_id)
        return view.member(self._find(registry.get_image_members(image_id), member_id,
                                      image_id))

    def index(self, req, image_id):
        refuse_body(req)
        ctx = ctx_of(req)
        self.deps.policy.enforce(ctx, 'get_members')
        record = self._shared_image(ctx, image_id, 'Error fetching members')
        members = self._members(ctx, image_id)
        if not (ctx.is_admin or record['owner'] == ctx.owner):
            members = [m for m in members if m['member_id'] == ctx.owner]
            if not members:
                raise exception.Forbidden('Not allowed to list members for image %s.'
                                          % image_id)
        return {'members': [view.member(m) for m in members],
                'schema': '/v2/schemas/members'}

    def show(self, req, image_id, member_id):
        refuse_body(req)
        ctx = ctx_of(req)
        try:
            self.deps.policy.enforce(ctx, 'get_member')
            record = self._shared_image(ctx, image_id, 'Error fetching member')
            if not (ctx.is_admin or ctx.owner in (record['owner'], member_id)):
                raise exception.Forbidden()
        except exception.Forbidden:
            # Who the members of an image are is nobody else's business.
            raise exception.MemberNotFound('%s not found in the member list of the image %s.'
                                           % (member_id, image_id))
        return view.member(self._find(self._members(ctx, image_id), member_id, image_id))

    def update(self, req, image_id, member_id):
        ctx = ctx_of(req)
        self.deps.policy.enforce(ctx, 'modify_member')
        body = _json(req)
        if not isinstance(body, dict) or 'status' not in body:
            raise exception.Invalid('Status not specified')
        status = body['status']
        if status not in MEMBER_STATUSES:
            raise exception.Invalid('Incorrect request: status must be one of %s, not %s.'
                                    % (', '.join(MEMBER_STATUSES), status))
        self._shared_image(ctx, image_id, 'Error updating member')
        if not ctx.is_admin and ctx.owner != member_id:
            raise exception.Forbidden('Not allowed to update members for image %s.'
                                      % image_id)
        registry = self.deps.registry_for(ctx)
        self._find(registry.get_image_members(image_id), member_id, image_id)
        registry.set_member_status(image_id, member_id, status)
        return view.member(self._find(registry.get_image_members(image_id), member_id,
                                      image_id))

    def delete(self, req, image_id, member_id):
        refuse_body(req)
        ctx = ctx_of(req)
        self.deps.policy.enforce(ctx, 'delete_member')
        record = self._shared_image(ctx, image_id, 'Error deleting member')
        records.require_owner(ctx, record, 'Not allowed to delete members for image %s.'
                              % image_id)
        registry = self.deps.registry_for(ctx)
        self._find(registry.get_image_members(image_id), member_id, image_id)
        registry.delete_member(image_id, member_id)
        return no_content()

    @staticmethod
    def _find(members, member_id, image_id):
        for member in members:
            if member['member_id'] == member_id:
                return member
        raise exception.MemberNotFound('%s not found in the member list of the image %s.'
                                       % (member_id, image_id))


class TagsController:
    def __init__(self, deps):
        self.deps = deps

    def update(self, req, image_id, tag):
        refuse_body(req)
        if len(tag) > 255:
            raise exception.Invalid('Tag %s... is longer than 255 characters.' % tag[:20])
        self._change(req, image_id, lambda tags: tags + [tag] if tag not in tags else tags)
        return no_content()

    def delete(self, req, image_id, tag):
        refuse_body(req)

        def without(tags):
            if tag not in tags:
                raise exception.NotFound('Tag %s not found on image %s.' % (tag, image_id))
            return [t for t in tags if t != tag]

        self._change(req, image_id, without)
        return no_content()

    def _change(self, req, image_id, change):
        ctx = ctx_of(req)
        self.deps.policy.enforce(ctx, 'modify_image')
        record = visible_record(self.deps, ctx, image_id)
        records.require_owner(ctx, record, 'You are not permitted to modify tags on this '
                                           'image.')
        tags = change(list(record.get('tags') or []))
        if tags == record.get('tags'):
            return
        validation.check_tag_quota(self.deps.settings, len(tags))
        self.deps.registry_for(ctx).update_image(image_id, {'tags': tags})
