"""v2 /images: create, list, show, PATCH, delete and the deactivate/reactivate actions
(api-v2.md §4), translated into calls on glance_lite.images."""
import json
import urllib.parse

import webob

from glance_lite.api.v2 import list_query, patch, view
from glance_lite.common import exception, wsgi
from glance_lite.images import data, locations, records

# Fields of a v2 image that are columns of the record, not custom properties.
_RECORD_FIELDS = ('name', 'visibility', 'protected', 'os_hidden', 'container_format',
                  'disk_format', 'min_ram', 'min_disk', 'owner')
# Keys of the v2 view that are neither record fields nor custom properties.
_VIEW_ONLY = frozenset(['id', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size',
                        'virtual_size', 'created_at', 'updated_at', 'tags', 'locations',
                        'direct_url', 'self', 'file', 'schema'])
_FORMAT_FIELDS = ('disk_format', 'container_format')


def ctx_of(req):
    return req.environ['glance.context']


def no_content():
    return webob.Response(status=204, content_type=None)


def refuse_body(req):
    """Routes that take no body answer one with 400 (api-v2.md §2)."""
    if wsgi.has_body(req):
        raise exception.Invalid('A body is not expected with this request.')


def visible_record(deps, ctx, image_id):
    """The record of a live image the caller can see; 404 otherwise (never 403)."""
    record = records.get(deps, ctx, image_id)
    if record.get('deleted') or record['status'] in ('deleted', 'pending_delete'):
        raise exception.ImageNotFound('No image found with ID %s' % image_id)
    return record


def custom_properties(image):
    return {k: v for k, v in image.items()
            if k not in _VIEW_ONLY and k not in _RECORD_FIELDS}


class ImagesController:
    """:param deps: the image rules' Deps.
    :param schemas: the v2 Schemas (validation and the served documents).
    :param paging: ``(default_limit, max_limit)``.
    """

    def __init__(self, deps, schemas, paging):
        self.deps = deps
        self.schemas = schemas
        self.paging = paging

    def _render(self, ctx, record):
        return self.schemas.filter_image(view.image(self.deps, ctx, record))

    # -- reads ----------------------------------------------------------------------

    def index(self, req):
        ctx = ctx_of(req)
        query = list_query.parse(req.params, *self.paging)
        found = records.query_images(self.deps, ctx, query)
        body = {'images': [self._render(ctx, r) for r in found],
                'first': _first_link(req), 'schema': '/v2/schemas/images'}
        if found and len(found) == query['limit']:
            body['next'] = _next_link(req, found[-1]['id'])
        return body

    def show(self, req, image_id):
        refuse_body(req)
        ctx = ctx_of(req)
        return self._render(ctx, visible_record(self.deps, ctx, image_id))

    # -- writes ---------------------------------------------------------------------

    def create(self, req):
        ctx = ctx_of(req)
        body = self.schemas.check_create_body(_json_object(req))
        owner = body.get('owner')
        if owner is not None and owner != ctx.owner and not ctx.is_admin:
            raise exception.Forbidden("You are not permitted to create images owned by "
                                      "'%s'." % owner)
        meta = {k: body[k] for k in _RECORD_FIELDS if k in body}
        meta.setdefault('visibility', 'shared')
        meta['status'] = 'queued'
        meta['properties'] = custom_properties(body)
        meta['tags'] = list(dict.fromkeys(body.get('tags') or []))
        if body.get('id') is not None:
            meta['id'] = body['id']
        record = records.create(self.deps, ctx, meta)
        resp = webob.Response(status=201, content_type='application/json', charset=None)
        resp.json_body = self._render(ctx, record)
        resp.location = '%s/images/%s' % (req.application_url, record['id'])
        return resp

    def update(self, req, image_id):
        ctx = ctx_of(req)
        changes = patch.parse(req.content_type, req.body)
        record = visible_record(self.deps, ctx, image_id)
        before = view.image(self.deps, ctx, record)
        before['locations'] = [{'url': loc['url'], 'metadata': loc.get('metadata') or {}}
                               for loc in data.active_locations(record)]
        if any(c.path[0] == 'locations' for c in changes):
            locations.check_visible(self.deps.settings)
        hidden = set(record.get('properties') or {}) - set(before)
        for change in changes:
            if change.path[0] in hidden:
                # It exists but property protections hide it: refused, not "missing".
                raise exception.Forbidden("Property '%s' is protected" % change.path[0])
        # apply() validates each changed value against the schema.
        after = patch.apply(before, changes, self.schemas, req.content_type)
        values, purge = self._record_changes(ctx, record, before, after)
        if values is None:
            return self._render(ctx, record)
        record = records.update(self.deps, ctx, image_id, values, purge)
        return self._render(ctx, record)

    def _record_changes(self, ctx, record, before, after):
        """``(registry values, purge_props)`` turning ``before`` into ``after``, with
        every v2 rule applied; ``(None, False)`` when nothing changes."""
        values = {k: after.get(k) for k in _RECORD_FIELDS if after.get(k) != before.get(k)}
        old_props, new_props = custom_properties(before), custom_properties(after)
        props_changed = old_props != new_props
        tags_changed = set(after.get('tags') or []) != set(before.get('tags') or [])
        locations_changed = after.get('locations') != before.get('locations')
        if not (values or props_changed or tags_changed or locations_changed):
            return None, False
        changed = list(values) + sorted(set(old_props) ^ set(new_props)) or ['tags']
        records.require_owner(ctx, record, "You are not permitted to modify '%s' on this "
                                           "image." % changed[0])
        if 'owner' in values and not ctx.is_admin:
            raise exception.Forbidden("Owner can't be updated by non admin.")
        for field in _FORMAT_FIELDS:
            if field in values and record['status'] not in ('queued', 'importing'):
                raise exception.Forbidden('Attribute %s can be only replaced for a queued '
                                          'image.' % field)
        if tags_changed:
            values['tags'] = list(dict.fromkeys(after.get('tags') or []))
        if props_changed:
            # check_update applies property protections (unreadable ones are kept).
            values['properties'] = new_props
        records.check_update(self.deps, ctx, record, values, props_changed)
        if locations_changed:
            values.update(locations.change(self.deps, ctx, record,
                                           after.get('locations') or []) or {})
        return values, props_changed

    def delete(self, req, image_id):
        refuse_body(req)
        ctx = ctx_of(req)
        record = visible_record(self.deps, ctx, image_id)
        records.require_owner(ctx, record, 'You are not permitted to delete this image.')
        records.delete(self.deps, ctx, image_id)
        return no_content()

    def deactivate(self, req, image_id):
        refuse_body(req)
        self._set_deactivated(req, image_id, True)
        return no_content()

    def reactivate(self, req, image_id):
        refuse_body(req)
        self._set_deactivated(req, image_id, False)
        return no_content()

    def _set_deactivated(self, req, image_id, deactivated):
        ctx = ctx_of(req)
        visible_record(self.deps, ctx, image_id)
        records.set_deactivated(self.deps, ctx, image_id, deactivated)


def _json_object(req):
    if not req.body:
        raise exception.Invalid('Body expected in request.')
    body = json_body(req)
    if not isinstance(body, dict):
        raise exception.Invalid('Body must be a JSON object.')
    return body


def json_body(req):
    try:
        return json.loads(req.body)
    except ValueError:
        raise exception.Invalid('Malformed JSON in request body.')


def _first_link(req):
    params = [(k, v) for k, v in req.params.items() if k != 'marker']
    return '/v2/images' + ('?' + urllib.parse.urlencode(params) if params else '')


def _next_link(req, marker):
    params = [(k, v) for k, v in req.params.items() if k != 'marker']
    params.append(('marker', marker))
    return '/v2/images?' + urllib.parse.urlencode(params)
