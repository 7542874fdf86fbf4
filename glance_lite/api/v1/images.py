"""v1 /images: translates headers and query strings into calls on glance_lite.images."""
import logging
import threading

import webob

from glance_lite.api.v1 import headers
from glance_lite.common import exception, streams, wsgi
from glance_lite.images import data, protections, records

LOG = logging.getLogger(__name__)

LIST_PARAMS = frozenset(['name', 'status', 'container_format', 'disk_format', 'min_ram',
                         'min_disk', 'size_min', 'size_max', 'changes-since', 'is_public',
                         'protected', 'limit', 'marker', 'sort_key', 'sort_dir'])
# Header fields that describe where data comes from rather than the record itself.
_SOURCE_FIELDS = ('location', 'copy_from', 'uri', 'store')


def _ctx(req):
    return req.environ['glance.context']


def _list_params(req):
    return {k: v for k, v in req.params.items()
            if k in LIST_PARAMS or k.startswith('property-')}


class _Request:
    """What one create or update asks for, parsed once."""

    def __init__(self, req):
        self.meta = headers.parse(req.headers)
        self.location = self.meta.get('location')
        self.copy_from = req.headers.get('x-glance-api-copy-from')
        self.store = self.meta.get('store')
        self.has_body = wsgi.has_body(req)
        for field in _SOURCE_FIELDS:
            self.meta.pop(field, None)
        sources = [s for s in (self.has_body, self.location, self.copy_from) if s]
        if len(sources) > 1:
            raise exception.Invalid("It's invalid to provide multiple image sources.")

    @property
    def has_source(self):
        return bool(self.has_body or self.location or self.copy_from)


class ImagesController:
    def __init__(self, deps):
        self.deps = deps

    # -- reads ----------------------------------------------------------------------

    def index(self, req):
        images = records.list_images(self.deps, _ctx(req), _list_params(req), False)
        return {'images': [headers.to_brief_json(i) for i in images]}

    def detail(self, req):
        ctx = _ctx(req)
        images = records.list_images(self.deps, ctx, _list_params(req), True)
        return {'images': [headers.to_json(self._visible(ctx, i)) for i in images]}

    def meta(self, req, id):
        ctx = _ctx(req)
        image = records.get(self.deps, ctx, id)
        resp = webob.Response(status=200, content_type=None)
        resp.headers.update(headers.render(self._visible(ctx, image)))
        return resp

    def show(self, req, id):
        ctx = _ctx(req)
        image = records.get(self.deps, ctx, id)
        self.deps.policy.enforce(ctx, 'download_image', image)
        if image['status'] == 'deactivated':
            raise exception.Forbidden('Image %s is deactivated' % id)
        if image.get('deleted') or image['status'] != 'active':
            raise exception.NotFound('Image %s is not active' % id)
        resp = webob.Response(status=200, content_type='application/octet-stream')
        resp.headers.update(headers.render(self._visible(ctx, image)))
        if not image.get('size'):
            resp.content_length = 0
            return resp
        chunks, size = data.open_data(self.deps, image)
        resp.app_iter = wsgi.data_body(req, chunks)
        resp.content_length = image.get('size') or size
        return resp

    # -- writes ---------------------------------------------------------------------

    def create(self, req):
        ctx = _ctx(req)
        ask = _Request(req)
        meta = ask.meta
        self._check_source_policies(ctx, ask)
        self._check_declared_size(req, meta)
        self._check_store(ask)
        if ask.location or ask.copy_from:
            source = ask.location or ask.copy_from
            self.deps.stores.validate_external_location(source)
            if meta.get('size') is None:
                meta['size'] = self.deps.stores.for_uri(source).get_size(source)
        meta['status'] = 'active' if (meta.get('size') == 0 and not ask.has_source) \
            else 'queued'
        meta.setdefault('size', 0)  # v1 shows 0 until the data is known
        image = records.create(self.deps, ctx, meta)
        image = self._handle_source(req, ctx, image, ask, meta)
        return self._image_response(req, image, 201)

    def update(self, req, id):
        ctx = _ctx(req)
        ask = _Request(req)
        changes = ask.meta
        image = records.get(self.deps, ctx, id)
        self._check_source_policies(ctx, ask)
        if ask.has_body and image['status'] != 'queued':
            raise exception.Conflict('Cannot upload to an unqueued image')
        if (ask.location or ask.copy_from) and image['status'] != 'queued':
            raise exception.Invalid('Attempted to update Location field for an image not '
                                    'in queued status.')
        purge = (req.headers.get('x-glance-registry-purge-props', 'true').lower() == 'true'
                 and not ask.has_body)
        if not purge and not changes['properties']:
            del changes['properties']  # nothing to merge
        records.check_update(self.deps, ctx, image, changes, purge)
        if ask.has_source:
            self._check_declared_size(req, changes)
            self._check_store(ask)
            if ask.location or ask.copy_from:
                self.deps.stores.validate_external_location(ask.location or ask.copy_from)
        if changes or purge:
            image = records.update(self.deps, ctx, id, changes, purge)
        image = self._handle_source(req, ctx, image, ask, changes)
        return self._image_response(req, image, 200)

    def delete(self, req, id):
        records.delete(self.deps, _ctx(req), id)
        return webob.Response(status=200, content_type=None)

    # -- helpers --------------------------------------------------------------------

    def _visible(self, ctx, image):
        """``image`` as the caller may see it: without read-protected properties."""
        return protections.readable_image(self.deps.protections, ctx, image)

    def _check_source_policies(self, ctx, ask):
        if ask.location:
            self.deps.policy.enforce(ctx, 'set_image_location')
        if ask.copy_from:
            self.deps.policy.enforce(ctx, 'copy_from')
        if ask.has_body or ask.copy_from:
            self.deps.policy.enforce(ctx, 'upload_image')

    def _check_declared_size(self, req, meta):
        known = req.content_length if req.content_length else meta.get('size')
        cap = self.deps.settings.image_size_cap
        if known is not None and known > cap:
            raise exception.Invalid('Denying attempt to upload image larger than %d bytes.'
                                    % cap)

    def _check_store(self, ask):
        if ask.store is not None and ask.store not in self.deps.stores.schemes:
            raise exception.Invalid('Required store %s is invalid' % ask.store)

    def _require_formats(self, image):
        if not image.get('disk_format'):
            raise exception.Invalid('Disk format is not specified.')
        if not image.get('container_format'):
            raise exception.Invalid('Container format is not specified.')

    def _handle_source(self, req, ctx, image, ask, meta):
        if not ask.has_source:
            return image
        self._require_formats(image)
        if ask.has_body:
            return self._upload_body(req, ctx, image, ask, meta)
        if ask.location:
            return self._set_location(ctx, image, ask.location, meta.get('size'))
        self._start_copy(ctx, image, ask)
        return image

    def _upload_body(self, req, ctx, image, ask, meta):
        if req.content_type != 'application/octet-stream':
            self.deps.registry_for(ctx).update_image(image['id'], {'status': 'killed'})
            raise exception.Invalid('Content-Type must be application/octet-stream')
        return data.upload(self.deps, ctx, image, req.environ['wsgi.input'],
                           content_length=req.content_length,
                           expected_size=meta.get('size') or None,
                           expected_checksum=meta.get('checksum'),
                           store_scheme=ask.store)

    def _set_location(self, ctx, image, uri, declared_size):
        stored = self.deps.stores.for_uri(uri).get_size(uri)
        if declared_size and stored and declared_size != stored:
            raise exception.Conflict(
                'Provided image size must match the stored image size. (provided size: '
                '%d, stored size: %d)' % (declared_size, stored))
        values = {'status': 'active', 'size': declared_size or stored,
                  'location_data': [{'url': uri, 'metadata': {}, 'status': 'active'}]}
        return self.deps.registry_for(ctx).update_image(image['id'], values,
                                                        from_state='queued')

    def _start_copy(self, ctx, image, ask):
        """Copy the data in the background: the client gets the queued image now."""
        deps, url = self.deps, ask.copy_from

        def copy():
            try:
                chunks, _size = deps.stores.for_uri(url).get(url)
                data.upload(deps, ctx, image, streams.IteratorReader(chunks),
                            expected_size=image.get('size') or None, store_scheme=ask.store)
            except Exception as e:
                LOG.warning('Copying data of image %s failed: %s', image['id'], e)
                try:
                    deps.registry_for(ctx).update_image(image['id'], {'status': 'killed'},
                                                        from_state='queued')
                except exception.GlanceException:
                    pass  # upload() already marked the image killed

        threading.Thread(target=copy, daemon=True).start()

    def _image_response(self, req, image, status):
        resp = webob.Response(status=status, content_type='application/json', charset=None)
        resp.json_body = {'image': headers.to_json(self._visible(_ctx(req), image))}
        resp.location = '%s/images/%s' % (req.application_url, image['id'])
        if image.get('checksum'):
            resp.headers['ETag'] = image['checksum']
        return resp
