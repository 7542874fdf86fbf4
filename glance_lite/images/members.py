"""Sharing an image with other projects (v1 memberships)."""
from glance_lite.common import exception
from glance_lite.images import validation


def _require_identity(ctx):
    if ctx.owner is None and not ctx.is_admin:
        raise exception.NotAuthenticated('No authenticated user')


def _visible_image(registry, image_id):
    image = registry.get_image(image_id)
    if image.get('deleted') or image['status'] == 'deleted':
        raise exception.ImageNotFound(image_id=image_id)
    return image


def _registry_write(call, image_id):
    # The registry refuses a caller who may see but not share the image; v1 answers
    # as if the image did not exist for that caller.
    try:
        return call()
    except exception.Forbidden:
        raise exception.ImageNotFound(image_id=image_id)


def list_members(deps, ctx, image_id):
    deps.policy.enforce(ctx, 'get_members')
    registry = deps.registry_for(ctx)
    _visible_image(registry, image_id)
    return registry.get_image_members(image_id)


def add_member(deps, ctx, image_id, member_id, can_share=None):
    _require_identity(ctx)
    deps.policy.enforce(ctx, 'modify_member')
    registry = deps.registry_for(ctx)
    _visible_image(registry, image_id)
    members = registry.get_image_members(image_id)
    if member_id not in [m['member_id'] for m in members]:
        validation.check_member_quota(deps.settings, len(members) + 1)
    _registry_write(lambda: registry.add_member(image_id, member_id, can_share), image_id)


def parse_memberships(body):
    """Validate a replace-all body ``{"memberships": [{"member_id", "can_share"?}]}``."""
    try:
        memberships = body['memberships']
        if not isinstance(memberships, list):
            raise ValueError('memberships must be a list')
        for item in memberships:
            if not isinstance(item, dict) or not isinstance(item.get('member_id'), str):
                raise ValueError('each membership needs a string member_id')
            extra = set(item) - {'member_id', 'can_share'}
            if extra:
                raise ValueError('unknown keys %s' % ', '.join(sorted(extra)))
            if 'can_share' in item and not isinstance(item['can_share'], bool):
                raise ValueError('can_share must be a boolean')
    except (KeyError, TypeError, ValueError) as e:
        raise exception.Invalid('Invalid membership association: %s' % e)
    return memberships


def replace_members(deps, ctx, image_id, body):
    _require_identity(ctx)
    deps.policy.enforce(ctx, 'modify_member')
    memberships = parse_memberships(body)
    registry = deps.registry_for(ctx)
    _visible_image(registry, image_id)
    validation.check_member_quota(deps.settings, len(memberships))
    _registry_write(lambda: registry.replace_members(image_id, memberships), image_id)


def delete_member(deps, ctx, image_id, member_id):
    _require_identity(ctx)
    deps.policy.enforce(ctx, 'delete_member')
    registry = deps.registry_for(ctx)
    _visible_image(registry, image_id)
    _registry_write(lambda: registry.delete_member(image_id, member_id), image_id)


def shared_images(deps, ctx, member_id):
    deps.policy.enforce(ctx, 'get_members')
    return deps.registry_for(ctx).get_member_images(member_id)
