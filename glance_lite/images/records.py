"""Image records: the rules that decide what a caller may create, see, change and
delete, applied before the registry is asked.  Policy first, then ownership and status
rules, then quotas, then the registry call."""
from glance_lite.common import exception
from glance_lite.images import data, protections, validation

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


def require_owner(ctx, image, message):
    """Forbidden(message) unless the caller owns ``image`` or is an admin."""
    if not ctx.is_admin and (ctx.owner is None or image.get('owner') != ctx.owner):
        raise exception.Forbidden(message)


def _check_visibility_policy(deps, ctx, meta):
    if meta.get('is_public') or meta.get('visibility') == 'public':
        deps.policy.enforce(ctx, 'publicize_image')
    if meta.get('visibility') == 'community':
        deps.policy.enforce(ctx, 'communitize_image')


def query_images(deps, ctx, query):
    """v2 list: a page of full records for a registry query (see
    ``RegistryClient.query_images``)."""
    deps.policy.enforce(ctx, 'get_images')
    return deps.registry_for(ctx).query_images(query)


def check_create(deps, ctx, meta):
    """Policy, ownership and value rules of a new record; fixes owner and formats."""
    deps.policy.enforce(ctx, 'add_image')
    _check_visibility_policy(deps, ctx, meta)
    validation.check_formats(deps.settings, meta)
    validation.check_values(meta)
    protections.check_create(deps.protections, ctx, meta.get('properties') or {})
    validation.check_property_quota(deps.settings, len(meta.get('properties') or {}))
    validation.check_tag_quota(deps.settings, len(set(meta.get('tags') or ())))
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
    if changes.get('visibility') != image.get('visibility'):
        _check_visibility_policy(deps, ctx, changes)
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
    if 'properties' in changes or purge_props:
        # Protected properties the caller cannot read survive a purge.
        changes['properties'] = protections.merge_update(
            deps.protections, ctx, image.get('properties') or {},
            changes.get('properties') or {}, purge_props)
    new_props = changes.get('properties') or {}
    if purge_props:
        count = len(new_props)
    else:
        count = len(set(image.get('properties') or {}) | set(new_props))
    validation.check_property_quota(deps.settings, count)
    if 'tags' in changes:
        validation.check_tag_quota(deps.settings, len(set(changes['tags'])))


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
    while a client could still read it).

    With ``delayed_delete`` an image with data becomes ``pending_delete`` instead: its
    locations too, the record is hidden, and the data stays for glance-scrubber.
    """
    registry = deps.registry_for(ctx)
    image = registry.get_image(image_id)
    check_delete(deps, ctx, image)
    locations = data.active_locations(image)
    if deps.settings.delayed_delete and locations:
        pending = [dict(loc, status='pending_delete') for loc in locations]
        registry.update_image(image_id, {'status': 'pending_delete',
                                         'location_data': pending})
        registry.delete_image(image_id)
        return
    # Setting the status first also asks the registry whether this caller may delete.
    registry.update_image(image_id, {'status': 'deleted'})
    data.delete_data(deps, image)
    registry.delete_image(image_id)


def set_deactivated(deps, ctx, image_id, deactivated):
    """Deactivate (``True``) or reactivate an image; a no-op when already there.

    Only active images can be deactivated and only deactivated ones reactivated.
    """
    action = 'deactivate' if deactivated else 'reactivate'
    deps.policy.enforce(ctx, action)
    registry = deps.registry_for(ctx)
    image = registry.get_image(image_id)
    require_owner(ctx, image, 'You are not permitted to %s this image.' % action)
    wanted, source = ('deactivated', 'active') if deactivated else ('active', 'deactivated')
    if image['status'] == wanted:
        return image
    if image['status'] != source:
        raise exception.Forbidden("Not allowed to %s image in status '%s'"
                                  % (action, image['status']))
    try:
        return registry.update_image(image_id, {'status': wanted}, from_state=source)
    except exception.Conflict:
        raise exception.Conflict('Image %s changed status during the %s; try again.'
                                 % (image_id, action))
