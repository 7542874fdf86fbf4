"""Paste filter ``cache``: serves image data from this node's image cache, and fills
the cache from downloads (spec cache-and-scrubber.md §2).

It sits after the context filter, and handles ``GET /v1/images/{id}`` and
``GET /v2/images/{id}/file`` (without ``Range``/``Content-Range``):

* hit: the cached file is opened first (so nothing can truncate it while it is
  served), then the caller is authorised exactly as the download path would: the
  image must be visible to the caller (the registry is asked with the caller's
  identity), ``download_image`` must allow it, and it must be active and not deleted.
  Anything else passes the request on, and the download path gives its own answer
  (404, 403, ...).  A hit goes out through ``wsgi.file_wrapper`` (sendfile).
* miss: the download path's 200 response streams through the cache on its way out;
  the entry appears only when the data was complete and matched the image's MD5.

A successful ``DELETE`` of an image (v1 ``/v1/images/{id}``, v2 ``/v2/images/{id}``)
removes its cached data.
"""
import logging
import os
import re

import webob

from glance_lite.api import deps as api_deps
from glance_lite.api.v1 import headers as v1_headers
from glance_lite.common import config, exception, wsgi
from glance_lite import image_cache
from glance_lite.images import protections, records

LOG = logging.getLogger(__name__)

# Image data requests, per API version: the id is the first group.
DATA_PATHS = {'v1': re.compile(r'^/v1/images/([^/]+)$'),
              'v2': re.compile(r'^/v2/images/([^/]+)/file$')}
IMAGE_PATHS = {'v1': DATA_PATHS['v1'],
               'v2': re.compile(r'^/v2/images/([^/]+)$')}

CHUNK_SIZE = 65536
# What process_response has to do, noted by process_request (environ keys).
_MISS = 'glance_lite.cache_miss'
_DELETE = 'glance_lite.cache_delete'


def _match(patterns, path):
    """``(version, canonical image id)`` of the first pattern matching ``path``."""
    for version, pattern in patterns.items():
        match = pattern.match(path)
        if match:
            image_id = image_cache.canonical_id(match.group(1))
            return (version, image_id) if image_id else None
    return None


def cache_for(global_conf):
    """The ImageCache of the paste load ``global_conf`` belongs to (shared by the
    ``cache`` and ``cachemanage`` filters)."""
    return config.shared_in_load(global_conf, 'image_cache', image_cache.load_cache)


class CacheFilter(wsgi.Middleware):
    """:param cache: the ImageCache.
    :param deps: the image rules' Deps (the same as the API apps').
    """

    def __init__(self, application, cache, deps):
        super().__init__(application)
        self.cache = cache
        self.deps = deps

    @classmethod
    def factory(cls, global_conf, **local_conf):
        cache, deps = cache_for(global_conf), api_deps.deps_for(global_conf)
        return lambda app: cls(app, cache, deps)

    def process_request(self, req):
        # Paths are matched here: the routers below rewrite PATH_INFO.
        if req.method == 'DELETE':
            target = _match(IMAGE_PATHS, req.path_info)
            if target is not None:
                req.environ[_DELETE] = target[1]
            return None
        if (req.method != 'GET' or 'Range' in req.headers
                or 'Content-Range' in req.headers):
            return None
        target = _match(DATA_PATHS, req.path_info)
        if target is None:
            return None
        version, image_id = target
        cached = self.cache.open_cached(image_id)
        if cached is None:
            req.environ[_MISS] = image_id
            return None
        try:
            image = self._servable_image(req, image_id, cached)
            if image is None:
                cached.close()
                return None
            self.cache.record_hit(image_id, cached)
            return self._hit_response(req, version, image, cached)
        except BaseException:
            cached.close()
            raise

    def _servable_image(self, req, image_id, cached):
        """The image record when the caller may download it from ``cached``, else
        None (after dropping a cache entry that must not be served again)."""
        ctx = req.environ['glance.context']
        try:
            image = records.get(self.deps, ctx, image_id)
        except exception.GlanceException as e:
            LOG.debug('Cached image %s not served from the cache: %s', image_id, e)
            return None
        if image.get('id') != image_id:
            return None
        if image.get('deleted') or image['status'] in ('deleted', 'pending_delete'):
            self.cache.delete_cached(image_id)
            return None
        if image['status'] != 'active':
            return None  # e.g. deactivated: the download path refuses it
        if not self.deps.policy.allows(ctx, 'download_image', image):
            return None
        size = os.fstat(cached.fileno()).st_size
        if image.get('size') and image['size'] != size:
            LOG.warning('Cached data of image %s has %d bytes, the image %d; dropping it',
                        image_id, size, image['size'])
            self.cache.delete_cached(image_id)
            req.environ[_MISS] = image_id
            return None
        return image

    def _hit_response(self, req, version, image, cached):
        resp = webob.Response(status=200, content_type='application/octet-stream')
        if version == 'v1':
            # The headers of a v1 download, minus properties the caller may not read.
            ctx = req.environ['glance.context']
            resp.headers.update(v1_headers.render(
                protections.readable_image(self.deps.protections, ctx, image)))
        elif image.get('checksum'):
            resp.headers['Content-MD5'] = image['checksum']
        file_wrapper = req.environ.get('wsgi.file_wrapper', _FileChunks)
        resp.app_iter = file_wrapper(cached, CHUNK_SIZE)
        resp.content_length = os.fstat(cached.fileno()).st_size
        return resp

    def process_response(self, req, resp):
        image_id = req.environ.get(_MISS)
        if image_id is not None and resp.status_int == 200:
            checksum = (resp.headers.get('Content-MD5')
                        or resp.headers.get('x-image-meta-checksum'))
            length = resp.content_length
            # Setting app_iter clears Content-Length: put it back.
            resp.app_iter = self.cache.tee(image_id, resp.app_iter, length, checksum)
            resp.content_length = length
        image_id = req.environ.get(_DELETE)
        if image_id is not None and 200 <= resp.status_int < 300:
            if self.cache.delete_cached(image_id):
                LOG.info('Removed deleted image %s from the image cache', image_id)
        return resp


class _FileChunks:
    """``wsgi.file_wrapper`` for servers without one."""

    def __init__(self, data, block_size):
        self.data = data
        self.block_size = block_size

    def __iter__(self):
        while True:
            chunk = self.data.read(self.block_size)
            if not chunk:
                return
            yield chunk

    def close(self):
        self.data.close()
