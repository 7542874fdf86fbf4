"""The cache management API (spec cache-and-scrubber.md §3): ``/v1|v2/cached_images``
and ``/v1|v2/queued_images``, behind the ``cachemanage`` filter.  Every call needs
policy ``manage_image_cache`` (admin only by default)."""
from glance_lite.common import exception, wsgi
from glance_lite import image_cache


def _ctx(req):
    return req.environ['glance.context']


class CachedImagesController:
    def __init__(self, cache, policy):
        self.cache = cache
        self.policy = policy

    def _allowed(self, req):
        self.policy.enforce(_ctx(req), 'manage_image_cache')

    def _image_id(self, image_id):
        canonical = image_cache.canonical_id(image_id)
        if canonical is None:
            raise exception.Invalid("Image ID '%s' is not a valid UUID." % image_id)
        return canonical

    def list_cached(self, req):
        self._allowed(req)
        return {'cached_images': self.cache.cached_images()}

    def delete_cached(self, req, image_id):
        self._allowed(req)
        self.cache.delete_cached(self._image_id(image_id))
        return None

    def delete_all_cached(self, req):
        self._allowed(req)
        return {'num_deleted': self.cache.delete_all_cached()}

    def list_queued(self, req):
        self._allowed(req)
        return {'queued_images': self.cache.queued_images()}

    def queue(self, req, image_id):
        self._allowed(req)
        self.cache.queue(self._image_id(image_id))
        return None

    def delete_queued(self, req, image_id):
        self._allowed(req)
        self.cache.delete_queued(self._image_id(image_id))
        return None

    def delete_all_queued(self, req):
        self._allowed(req)
        return {'num_deleted': self.cache.delete_all_queued()}


def build_router(controller):
    """The management routes under both API prefixes (Queens served them under /v1,
    Stein under /v2)."""
    router = wsgi.Router()
    resource = wsgi.Resource(controller)
    for prefix in ('/v1', '/v2'):
        router.connect(prefix + '/cached_images', resource,
                       {'GET': 'list_cached', 'DELETE': 'delete_all_cached'})
        router.connect(prefix + '/cached_images/{image_id}', resource,
                       {'DELETE': 'delete_cached'})
        router.connect(prefix + '/queued_images', resource,
                       {'GET': 'list_queued', 'DELETE': 'delete_all_queued'})
        router.connect(prefix + '/queued_images/{image_id}', resource,
                       {'PUT': 'queue', 'DELETE': 'delete_queued'})
    return router
