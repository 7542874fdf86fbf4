"""Paste filter ``cachemanage``: answers the cache management API
(glance_lite.api.cached_images) before the request reaches the API routers; every
other request passes on."""
import re

from glance_lite.api import cached_images
from glance_lite.api import deps as api_deps
from glance_lite.api.middleware import cache
from glance_lite.common import wsgi

PATHS = re.compile(r'^/v[12]/(cached|queued)_images(/|$)')


class CacheManageFilter(wsgi.Middleware):
    def __init__(self, application, router):
        super().__init__(application)
        self.router = router

    @classmethod
    def factory(cls, global_conf, **local_conf):
        controller = cached_images.CachedImagesController(
            cache.cache_for(global_conf), api_deps.deps_for(global_conf).policy)
        router = cached_images.build_router(controller)
        return lambda app: cls(app, router)

    def process_request(self, req):
        if PATHS.match(req.path_info):
            return req.get_response(self.router)
        return None
