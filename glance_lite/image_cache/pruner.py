"""glance-cache-pruner's job: bring the cache within ``image_cache_max_size``,
removing the least recently used images first."""
import logging

LOG = logging.getLogger(__name__)


def prune(cache, max_size):
    """Remove cached images, least recently accessed first, until the cache holds at
    most ``max_size`` bytes.

    Images being served keep streaming: their open files outlive the removal.

    :returns: ``(images removed, bytes freed)``.
    """
    images = cache.cached_images()
    total = sum(image['size'] for image in images)
    if total <= max_size:
        LOG.debug('Image cache holds %d bytes, within %d; nothing to prune', total,
                  max_size)
        return 0, 0
    removed = freed = 0
    for image in sorted(images, key=lambda i: (i['last_accessed'], i['last_modified'],
                                               i['image_id'])):
        if total <= max_size:
            break
        if cache.delete_cached(image['image_id']):
            removed += 1
            freed += image['size']
        # Gone either way: removed now, or by someone else since the listing.
        total -= image['size']
    LOG.info('Pruned %d images (%d bytes) from the image cache', removed, freed)
    return removed, freed
