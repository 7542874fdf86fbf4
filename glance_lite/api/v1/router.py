"""The v1 route table (api-v1.md §1) and the paste factory that builds its collaborators."""
from glance_lite.api import deps
from glance_lite.api.v1 import images, members
from glance_lite.common import wsgi


def build_router(deps):
    router = wsgi.Router()
    imgs = wsgi.Resource(images.ImagesController(deps))
    mbrs = wsgi.Resource(members.MembersController(deps))
    router.connect('/', imgs, {'GET': 'index'})
    router.connect('/images', imgs, {'GET': 'index', 'POST': 'create'})
    router.connect('/images/detail', imgs, {'GET': 'detail'}, allow=['GET', 'HEAD'])
    router.connect('/images/{id}', imgs, {'HEAD': 'meta', 'GET': 'show', 'PUT': 'update',
                                          'DELETE': 'delete'})
    router.connect('/images/{image_id}/members', mbrs, {'GET': 'index', 'PUT': 'update_all'})
    router.connect('/images/{image_id}/members/{member_id}', mbrs,
                   {'PUT': 'update', 'DELETE': 'delete'}, allow=['GET', 'PUT', 'DELETE'])
    router.connect('/shared-images/{member_id}', mbrs,
                   {m: 'shared_images' for m in ('GET', 'HEAD', 'POST', 'PUT', 'DELETE',
                                                 'PATCH')})
    return router


def app_factory(global_conf, **local_conf):
    return build_router(deps.deps_for(global_conf))
