"""v1 memberships: /images/{id}/members and /shared-images/{member}."""
import webob

from glance_lite.common import exception, wsgi
from glance_lite.images import members


def _ctx(req):
    return req.environ['glance.context']


def _no_content():
    return webob.Response(status=204, content_type=None)


class MembersController:
    def __init__(self, deps):
        self.deps = deps

    def index(self, req, image_id):
        rows = members.list_members(self.deps, _ctx(req), image_id)
        return {'members': [{'member_id': m['member_id'], 'can_share': m['can_share']}
                            for m in rows]}

    def update_all(self, req, image_id):
        body = wsgi.json_body(req)
        if not isinstance(body, dict):
            raise exception.Invalid('Invalid membership association: a JSON object with '
                                    '"memberships" is required')
        members.replace_members(self.deps, _ctx(req), image_id, body)
        return _no_content()

    def update(self, req, image_id, member_id):
        body = wsgi.json_body(req)
        can_share = None
        if body is not None:
            try:
                can_share = body['member']['can_share']
            except (KeyError, TypeError):
                raise exception.Invalid('Invalid membership association: expected '
                                        '{"member": {"can_share": <bool>}}')
            if not isinstance(can_share, bool):
                raise exception.Invalid('Invalid membership association: can_share must '
                                        'be a boolean')
        members.add_member(self.deps, _ctx(req), image_id, member_id, can_share)
        return _no_content()

    def delete(self, req, image_id, member_id):
        members.delete_member(self.deps, _ctx(req), image_id, member_id)
        return _no_content()

    def shared_images(self, req, member_id):
        return {'shared_images': members.shared_images(self.deps, _ctx(req), member_id)}
