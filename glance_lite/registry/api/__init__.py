"""The glance-registry REST app (paste app ``registryapp``), registry.md §2.

Served at the root, no version prefix.  The v2 ``POST /rpc`` endpoint is not served:
glance-api's v2 uses this REST API too, with three extensions — ``POST /images/query``
(v2 list filters), ``GET /storage-usage/{owner}`` and member ``status``.
"""
from glance_lite.common import config, wsgi
from glance_lite.db import api as db_api
from glance_lite.registry.api import images, list_params, members


def app_factory(global_conf, **local_conf):
    """Paste factory: one Database per process, then :func:`make_app`."""
    conf = config.conf_from_paste(global_conf)
    return make_app(conf, db_api.Database.from_conf(conf))


def make_app(conf, db):
    """The registry router over ``db`` (a ``db.api.Database``).

    :param conf: ConfigOpts with the registry and paging options registered.
    """
    router = wsgi.Router()
    if conf.enable_v1_registry:
        add_v1_routes(router, db, list_params.ListParams.from_conf(conf))
    return router


def add_v1_routes(router, db, params):
    """The v1 route table: every path with its methods; other methods get 405."""
    image = wsgi.Resource(images.ImagesController(db, params))
    member = wsgi.Resource(members.MembersController(db))
    any_method = {m: 'shared_images' for m in sorted(wsgi.KNOWN_METHODS)}

    router.connect('/', image, {'GET': 'index'})
    router.connect('/images', image, {'GET': 'index', 'POST': 'create'})
    router.connect('/images/detail', image, {'GET': 'detail', 'HEAD': 'detail'})
    router.connect('/images/query', image, {'POST': 'query'})
    router.connect('/storage-usage/{owner}', image, {'GET': 'storage_usage'})
    router.connect('/images/{image_id}', image,
                   {'GET': 'show', 'PUT': 'update', 'DELETE': 'delete'})
    router.connect('/images/{image_id}/members', member,
                   {'GET': 'index', 'PUT': 'replace_all'},
                   refuse={'POST': ['PUT', 'DELETE']})
    router.connect('/images/{image_id}/members/{member}', member,
                   {'PUT': 'add_member', 'DELETE': 'delete_member'},
                   allow=['GET', 'PUT', 'DELETE'], refuse={'GET': ['PUT', 'DELETE']})
    router.connect('/shared-images/{member}', member, any_method)
