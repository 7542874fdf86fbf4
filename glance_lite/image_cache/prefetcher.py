"""glance-cache-prefetcher's job: cache the images queued for caching
(``glance-cache-manage queue-image``), reading their data from the stores as the api
on this host would."""
import concurrent.futures
import dataclasses
import logging

from glance_lite.common import exception
from glance_lite.image_cache import tee
from glance_lite.images import data

LOG = logging.getLogger(__name__)

# Images fetched at the same time.
DEFAULT_WORKERS = 4
# Statuses of images that will never have data again: their queue entries are dropped.
_GONE = ('deleted', 'pending_delete', 'killed')


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one queued image: ``state`` is ``cached``, ``skipped`` (nothing
    to do now; ``detail`` says whether it stays queued) or ``failed``."""

    image_id: str
    state: str
    detail: str


class Prefetcher:
    """:param cache: the ImageCache.
    :param registry: a registry client bound to an admin context.
    :param stores: the loaded Stores.
    :param progress: optional ``callable(outcome, done, total)`` called as each image
        is finished.
    """

    def __init__(self, cache, registry, stores, progress=None, workers=DEFAULT_WORKERS):
        self.cache = cache
        self.registry = registry
        self.stores = stores
        self.progress = progress
        self.workers = workers

    def run_once(self):
        """Try every queued image once; :returns: the list of :class:`Outcome`."""
        queued = self.cache.queued_images()
        if not queued:
            LOG.debug('No queued images to prefetch')
            return []
        outcomes = []
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=min(self.workers, len(queued))) as pool:
            for future in concurrent.futures.as_completed(
                    [pool.submit(self._prefetch, image_id) for image_id in queued]):
                outcomes.append(future.result())
                if self.progress is not None:
                    self.progress(outcomes[-1], len(outcomes), len(queued))
        return outcomes

    def _prefetch(self, image_id):
        try:
            return self._fetch(image_id)
        except Exception as e:
            LOG.exception('Prefetching image %s failed', image_id)
            return Outcome(image_id, 'failed', str(e) or type(e).__name__)

    def _fetch(self, image_id):
        if self.cache.is_cached(image_id):
            self.cache.delete_queued(image_id)
            return Outcome(image_id, 'cached', 'already cached')
        if self.cache.is_being_cached(image_id):
            return Outcome(image_id, 'skipped', 'being cached by a download; left queued')
        try:
            image = self.registry.get_image(image_id)
        except exception.NotFound:
            image = None
        if image is None:
            self.cache.delete_queued(image_id)
            LOG.warning('Queued image %s does not exist; removed from the queue', image_id)
            return Outcome(image_id, 'skipped', 'no such image; removed from the queue')
        status = 'deleted' if image.get('deleted') else image['status']
        if status in _GONE:
            self.cache.delete_queued(image_id)
            LOG.warning('Queued image %s is %s; removed from the queue', image_id, status)
            return Outcome(image_id, 'skipped', 'image is %s; removed from the queue'
                           % status)
        if status != 'active':
            LOG.warning('Queued image %s is %s, not active; left queued', image_id, status)
            return Outcome(image_id, 'skipped', 'image is %s; left queued' % status)
        if not image.get('checksum'):
            self.cache.delete_queued(image_id)
            LOG.error('Queued image %s has no checksum, so its data cannot be verified; '
                      'removed from the queue', image_id)
            return Outcome(image_id, 'failed', 'no checksum to verify the data against; '
                           'removed from the queue')
        chunks = self._open(image)
        stream = self.cache.tee(image_id, chunks, image.get('size') or None,
                                image['checksum'])
        try:
            for _chunk in stream:
                pass
        except tee.VerificationFailed as e:
            return Outcome(image_id, 'failed', str(e))
        finally:
            getattr(stream, 'close', lambda: None)()
        if not self.cache.is_cached(image_id):
            return Outcome(image_id, 'skipped', 'being cached by a download; left queued')
        return Outcome(image_id, 'cached', '%s bytes' % image.get('size'))

    def _open(self, image):
        """The chunks of ``image``'s data from its first readable location (in the
        order recorded: the prefetcher has no location strategy of its own)."""
        chunks, _size = data.open_first(
            self.stores, image['id'], data.active_locations(image),
            unreadable=(exception.NotFound, exception.ServiceUnavailable,
                        exception.UnknownScheme))
        return chunks
