"""``/images``: list, show, create, update and delete image records (registry.md §2)."""
import logging

from glance_lite.common import exception, wsgi
from glance_lite.db import api as db_api, validation
from glance_lite.registry.api import caller, wire

LOG = logging.getLogger(__name__)

PURGE_PROPS_HEADER = 'X-Glance-Registry-Purge-Props'


def _image_body(req):
    body = wsgi.json_body(req)
    if not isinstance(body, dict) or not isinstance(body.get('image'), dict):
        raise exception.Invalid('Request body must be a JSON object with an "image" '
                                'object.')
    return body


def _not_found():
    # The same answer whether the image is missing or merely invisible to the caller.
    return exception.ImageNotFound('Image not found')


class ImagesController:
    """Image records for the registry's REST API.

    :param db: the process's ``db.api.Database``.
    :param list_params: a :class:`~glance_lite.registry.api.list_params.ListParams`.
    """

    def __init__(self, db, list_params):
        self.db = db
        self.list_params = list_params

    def index(self, req):
        """``{"images": [<brief image>]}``."""
        return {'images': [wire.image_to_brief(i) for i in self._list(req)]}

    def detail(self, req):
        """``{"images": [<full image>]}``."""
        return {'images': [wire.image_to_wire(i) for i in self._list(req)]}

    def _list(self, req):
        ctx = caller.context_of(req)
        kwargs = self.list_params.parse(req.params, ctx)
        try:
            return db_api.image_get_all(self.db, ctx, **kwargs)
        except (exception.NotFound, exception.Forbidden):
            LOG.info('Invalid marker %s: no such image visible to the caller',
                     kwargs['marker'])
            raise exception.Invalid('Invalid marker. Image could not be found.')

    def query(self, req):
        """v2 list: ``{"images": [<full image>]}`` for a JSON body of
        ``image_get_all`` arguments (glance-api validated the v2 query):
        ``filters``, ``marker``, ``limit``, ``sort_key``, ``sort_dir`` (lists),
        ``member_status``.  The limit is capped at ``api_limit_max``."""
        ctx = caller.context_of(req)
        kwargs = self.list_params.parse_query(wsgi.json_body(req))
        try:
            images = db_api.image_get_all(self.db, ctx, **kwargs)
        except (exception.NotFound, exception.Forbidden):
            raise exception.Invalid('Invalid marker. Image could not be found.')
        return {'images': [wire.image_to_wire(i) for i in images]}

    def storage_usage(self, req, owner):
        """``{"usage": bytes}`` stored for ``owner`` (``user_storage_quota``), leaving
        out the image of query parameter ``image_id``."""
        ctx = caller.context_of(req)
        if not ctx.is_admin and ctx.owner != owner:
            raise exception.Forbidden('Storage usage of another project is not visible.')
        usage = db_api.user_get_storage_usage(self.db, ctx, owner,
                                              image_id=req.params.get('image_id'))
        return {'usage': usage}

    def show(self, req, image_id):
        """``{"image": <full image>}``; 404 when missing or not visible (never 403)."""
        ctx = caller.context_of(req)
        try:
            image = db_api.image_get(self.db, ctx, image_id)
        except (exception.NotFound, exception.Forbidden):
            if not ctx.is_admin:
                raise _not_found()
            image = self._deleted_image(ctx, image_id)
        return {'image': wire.image_to_wire(image)}

    def _deleted_image(self, ctx, image_id):
        # Admins also see deleted images (Glance's can_see_deleted), e.g. to learn
        # that an image is pending_delete.  Asked second: an image that is not deleted
        # must not show its deleted locations.
        try:
            return db_api.image_get(self.db, ctx, image_id, force_show_deleted=True)
        except (exception.NotFound, exception.Forbidden):
            raise _not_found()

    def create(self, req):
        """Create from ``{"image": {...}}``; 200 ``{"image": <full image>}``."""
        ctx = caller.writable_context_of(req)
        image = _image_body(req)['image']
        if image.get('id') is not None and validation.canonical_id(image['id']) is None:
            raise exception.Invalid('Invalid image id format')
        try:
            values = wire.image_from_wire(image, ctx, creating=True)
            # Duplicate ids raise 409 "Image with identifier X already exists!".
            created = db_api.image_create(self.db, ctx, values)
        except exception.Invalid as e:
            raise exception.Invalid('Failed to add image metadata. Got error: %s' % e.msg)
        LOG.info('Successfully created image %s', created['id'])
        return {'image': wire.image_to_wire(created)}

    def update(self, req, image_id):
        """Update from ``{"image": {...}, "from_state": status|null}``.

        ``X-Glance-Registry-Purge-Props: true`` makes the given properties the whole
        set.  With ``from_state`` the update applies only in that status (else 409).
        """
        ctx = caller.writable_context_of(req)
        body = _image_body(req)
        from_state = body.get('from_state')
        if from_state is not None and not isinstance(from_state, str):
            raise exception.Invalid('from_state must be a string')
        purge_props = req.headers.get(PURGE_PROPS_HEADER, 'false').lower() == 'true'
        try:
            values = wire.image_from_wire(body['image'], ctx, creating=False)
            updated = db_api.image_update(self.db, ctx, image_id, values,
                                          purge_props=purge_props, from_state=from_state)
        except exception.Invalid as e:
            raise exception.Invalid('Failed to update image metadata. Got error: %s'
                                    % e.msg)
        except exception.NotFound:
            raise _not_found()
        except exception.Forbidden:
            # The database answers NotFound for private and shared images the caller
            # does not own, Forbidden for public and community ones it can see anyway.
            raise exception.Forbidden('Forbidden to update public image')
        except exception.Conflict:
            raise exception.Conflict('Image operation conflicts')
        LOG.info('Updated metadata of image %s', image_id)
        return {'image': wire.image_to_wire(updated)}

    def delete(self, req, image_id):
        """Soft-delete; 200 ``{"image": <deleted image>}``."""
        ctx = caller.writable_context_of(req)
        try:
            deleted = db_api.image_destroy(self.db, ctx, image_id)
        except exception.NotFound:
            raise _not_found()
        except exception.Forbidden:
            raise exception.Forbidden('Forbidden to delete public image')
        LOG.info('Successfully deleted image %s', image_id)
        return {'image': wire.image_to_wire(deleted)}
