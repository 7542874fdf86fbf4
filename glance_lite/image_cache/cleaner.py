"""glance-cache-cleaner's job: remove what failed or was abandoned."""
import logging
import time

LOG = logging.getLogger(__name__)


def clean(cache, stall_time, now=None):
    """Remove every file in ``invalid/``, and files in ``incomplete/`` not written
    for ``stall_time`` seconds; drop the bookkeeping of entries that are gone.

    :returns: ``(invalid files removed, stalled files removed)``.
    """
    now = time.time() if now is None else now
    invalid = cache.remove_invalid()
    stalled = cache.remove_stalled(now - stall_time)
    cache.forget_missing()
    if invalid or stalled:
        LOG.info('Removed %d invalid and %d stalled files from the image cache', invalid,
                 stalled)
    return invalid, stalled
