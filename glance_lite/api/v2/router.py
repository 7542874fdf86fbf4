"""The v2 route table (api-v2.md §4) and its paste factory."""
from glance_lite.api import deps as api_deps
from glance_lite.api.v2 import image_data, images, members, schemas
from glance_lite.common import config, exception, wsgi


class SchemasController:
    def __init__(self, schemas):
        self.schemas = schemas

    def show(self, req, name):
        images.refuse_body(req)
        document = self.schemas.document(name)
        if document is None:
            raise exception.NotFound('Schema %s not found.' % name)
        return document

    def show_metadef(self, req, name):
        return self.show(req, 'metadefs/' + name)


class InfoController:
    def import_methods(self, req):
        # No interoperable import method is enabled (Glance with
        # enabled_import_methods = []).
        return {'import-methods': {'description': 'Import methods available.',
                                   'type': 'array', 'value': []}}

    def stores(self, req):
        raise exception.NotFound('Multi backend is not supported at this site.')


def build_router(deps, schema_set, paging):
    router = wsgi.Router()
    imgs = wsgi.Resource(images.ImagesController(deps, schema_set, paging))
    files = wsgi.Resource(image_data.ImageDataController(deps))
    mbrs = wsgi.Resource(members.MembersController(deps))
    tags = wsgi.Resource(members.TagsController(deps))
    docs = wsgi.Resource(SchemasController(schema_set))
    info = wsgi.Resource(InfoController())

    router.connect('/images', imgs, {'GET': 'index', 'POST': 'create'})
    router.connect('/images/{image_id}', imgs,
                   {'GET': 'show', 'PATCH': 'update', 'DELETE': 'delete'})
    router.connect('/images/{image_id}/actions/deactivate', imgs, {'POST': 'deactivate'})
    router.connect('/images/{image_id}/actions/reactivate', imgs, {'POST': 'reactivate'})
    router.connect('/images/{image_id}/file', files, {'GET': 'download', 'PUT': 'upload'})
    router.connect('/images/{image_id}/tags/{tag}', tags, {'PUT': 'update',
                                                           'DELETE': 'delete'})
    router.connect('/images/{image_id}/members', mbrs, {'GET': 'index', 'POST': 'create'})
    router.connect('/images/{image_id}/members/{member_id}', mbrs,
                   {'GET': 'show', 'PUT': 'update', 'DELETE': 'delete'})
    router.connect('/schemas/metadefs/{name}', docs, {'GET': 'show_metadef'})
    router.connect('/schemas/{name}', docs, {'GET': 'show'})
    router.connect('/info/import', info, {'GET': 'import_methods'})
    router.connect('/info/stores', info, {'GET': 'stores'})
    return router


def app_factory(global_conf, **local_conf):
    conf = config.conf_from_paste(global_conf)
    return build_router(api_deps.deps_for(global_conf), schemas.Schemas.from_conf(conf),
                        (conf.limit_param_default, conf.api_limit_max))
