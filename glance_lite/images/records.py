"""Image records: the rules that decide what a caller may create, see, change and
delete, applied before the registry is asked.  Policy first, then ownership and status
rules, then quotas, then the registry call."""
from glance_lite.common import exception
from glance_lite.images import data, validation

IMMUTABLE_WHEN_ACTIVE = ('size', 'checksum')


def get(deps, ctx, image_id):
    deps.policy.enforce(ctx, 'get_image')
    return deps.registry_for(ctx).get_image(image_id)


def list_images(deps, ctx, params, detailed):
    deps.policy.enforce(ctx, 'get_images')
    registry = deps.registry_for(ctx)
    if detailed:
        return registry.get_images_detailed(params)
    return registry.get_images(params)


def check_create(deps, ctx, meta):
    """Policy, ownership and value rules of a new record; fixes owner and formats."""
    deps.policy.enforce(ctx, 'add_image')
    if meta.get('is_public'):
        deps.policy.enforce(ctx, 'publicize_image')
    validation.check_formats(deps.settings, meta)
    validation.check_values(meta)
    validation.check_property_quota(deps.settings, len(meta.get('properties') or {}))
    if not ctx.is_admin or meta.get('owner') is None:
        meta['owner'] = ctx.owner


def create(deps, ctx, meta):
    check_create(deps, ctx, meta)
    try:
        return deps.registry_for(ctx).add_image(meta)
    except exception.Conflict:
        # The registry answers 409 to a create only for a taken id.
        raise exception.Duplicate('An image with identifier %s already exists'
                                  % meta.get('id'))


def check_update(deps, ctx, image, changes, purge_props):
    """Rules of a metadata change to ``image``; may drop what the caller can't change."""
    deps.policy.enforce(ctx, 'modify_image')
    if changes.get('is_public'):
        deps.policy.enforce(ctx, 'publicize_image')
    if image.get('deleted') or image['status'] == 'deleted':
        raise exception.Forbidden('Forbidden to update deleted image.')
    if not ctx.is_admin and image['status'] in ('active', 'deactivated'):
        for field in IMMUTABLE_WHEN_ACTIVE:
            if field in changes and changes[field] != image.get(field):
                raise exception.Forbidden("Forbidden to modify '%s' of active image."
                                          % field)
    for field in ('status', 'id'):
        if field in changes and changes[field] != image.get(field):
            raise exception.Forbidden("Forbidden to modify '%s' of image." % field)
        changes.pop(field, None)
    if not ctx.is_admin:
        changes.pop('owner', None)
    validation.check_formats(deps.settings, _merged_formats(image, changes))
    validation.check_values(changes)
    new_props = changes.get('properties') or {}
    if purge_props:
        count = len(new_props)
    else:
        count = len(set(image.get('properties') or {}) | set(new_props))
    validation.check_property_quota(deps.settings, count)


def _merged_formats(image, changes):
    merged = {f: changes.get(f, image.get(f)) for f in ('disk_format', 'container_format')}
    return merged


def update(deps, ctx, image_id, changes, purge_props):
    try:
        return deps.registry_for(ctx).update_image(image_id, changes,
                                                   purge_props=purge_props)
    except exception.Invalid as e:
        raise exception.Invalid('Failed to update image metadata. Got error: %s' % e.msg)


def check_delete(deps, ctx, image):
    deps.policy.enforce(ctx, 'delete_image')
    if image.get('protected'):
        raise exception.Forbidden('Image is protected')
    if image['status'] == 'pending_delete':
        raise exception.Forbidden('Forbidden to delete a pending_delete image.')
    if image.get('deleted') or image['status'] == 'deleted':
        raise exception.ImageNotFound(image_id=image['id'])


def delete(deps, ctx, image_id):
    """Delete the record and its data (data first, so no record ever points nowhere
    while a client could still read it)."""
    registry = deps.registry_for(ctx)
    image = registry.get_image(image_id)
    check_delete(deps, ctx, image)
    # Setting the status first also asks the registry whether this caller may delete.
    registry.update_image(image_id, {'status': 'deleted'})
    data.delete_data(deps, image)
    registry.delete_image(image_id)
