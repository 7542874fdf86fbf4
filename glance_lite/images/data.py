"""Image bytes: upload into a store, download from it, delete it.

An upload moves the record queued → saving, streams through an UploadReader into the
store, and only then records the location and activates the image (guarded by
``from_state='saving'``).  Every failure removes the bytes written and marks the image
with ``failure_status`` (``killed`` for v1).  Nothing half-written is ever served.
"""
import logging

from glance_lite.common import exception, streams
from glance_lite.store import base as store_base, location as store_location

LOG = logging.getLogger(__name__)

_V1_KILLED_NOTE = " Setting image status to 'killed'."


def active_locations(image):
    return [loc for loc in image.get('location_data') or []
            if loc.get('status', 'active') == 'active']


def upload(deps, ctx, image, source, *, content_length=None, expected_size=None,
           expected_checksum=None, store_scheme=None, failure_status='killed'):
    """Stream ``source`` into a store as the data of queued ``image``.

    :returns: the active image record.
    :raises: the exception the client should see; the image is left in
        ``failure_status`` and no bytes remain.
    """
    registry = deps.registry_for(ctx)
    image_id = image['id']
    store = deps.stores.get(store_scheme) if store_scheme else deps.stores.default
    cap, over_cap = _upload_cap(deps, registry, image, expected_size or content_length)
    registry.update_image(image_id, {'status': 'saving'}, from_state='queued')
    reader = streams.UploadReader(
        source, cap, deps.settings.hashing_algorithm,
        content_length=content_length, expected_size=expected_size,
        expected_checksum=expected_checksum,
        mismatch_note=_V1_KILLED_NOTE if failure_status == 'killed' else '',
        over_cap=over_cap, offload=deps.offload)
    try:
        uri, size, metadata = store.add(image_id, reader, expected_size or 0)
    except exception.Duplicate:
        raise
    except Exception as e:
        _mark_failed(registry, image_id, failure_status)
        if isinstance(e, exception.GlanceException):
            raise
        LOG.exception('Upload of image %s failed', image_id)
        raise exception.GlanceException('Error uploading image: %s' % type(e).__name__)
    values = {'status': 'active', 'size': size, 'checksum': reader.hashes.checksum,
              'os_hash_algo': reader.hashes.algorithm,
              'os_hash_value': reader.hashes.multihash,
              'location_data': [{'url': uri, 'metadata': metadata, 'status': 'active'}]}
    try:
        return registry.update_image(image_id, values, from_state='saving')
    except (exception.NotFound, exception.Conflict) as e:
        # The image was deleted (or its status changed) while the bytes were arriving:
        # the data must not outlive the record that would account for it.
        _delete_quietly(store, uri)
        if isinstance(e, exception.NotFound) or _is_deleted(registry, image_id):
            raise exception.PreconditionFailed(
                'Image %s could not be found after upload. The image may have been '
                'deleted during the upload.' % image_id)
        raise exception.Conflict('Image operation conflicts')
    except Exception:
        _delete_quietly(store, uri)
        _mark_failed(registry, image_id, failure_status)
        raise


def _upload_cap(deps, registry, image, announced):
    """``(cap, over_cap)`` of an upload: ``image_size_cap``, or less when the owner's
    ``user_storage_quota`` leaves less room (then crossing it is a quota error)."""
    cap = deps.settings.image_size_cap
    quota = deps.settings.user_storage_quota
    if not quota or image.get('owner') is None:
        return cap, None
    remaining = quota - registry.get_storage_usage(image['owner'], image['id'])

    def over_quota(_cap, size=None):
        return exception.StorageQuotaFull(image_size=size if size is not None else
                                          'uploaded', remaining=max(remaining, 0))

    if announced is not None and announced > remaining:
        raise over_quota(remaining, announced)
    if remaining < cap:
        return max(remaining, 0), over_quota
    return cap, None


def _is_deleted(registry, image_id):
    try:
        return registry.get_image(image_id)['status'] in ('deleted', 'pending_delete')
    except exception.NotFound:
        return True


def _mark_failed(registry, image_id, status):
    values = {'status': status}
    if status == 'queued':
        # v2 returns a failed upload to queued, with no trace of the bytes.
        values.update(size=None, virtual_size=None, checksum=None, os_hash_algo=None,
                      os_hash_value=None)
    try:
        registry.update_image(image_id, values)
    except exception.GlanceException as e:
        LOG.warning('Could not set image %s to %s after a failed upload: %s',
                    image_id, status, e)


def _delete_quietly(store, uri):
    try:
        store.delete(uri)
    except exception.NotFound:
        pass
    except Exception:
        LOG.exception('Could not delete data at a location of a failed upload')


def ordered_locations(settings, locations):
    """``locations`` in the order they should be tried.

    ``location_order`` keeps the stored order; ``store_type`` puts the schemes of
    ``store_type_preference`` first, in that order (a stable sort, so locations of the
    same scheme keep theirs).
    """
    if settings.location_strategy != 'store_type' or not settings.store_type_preference:
        return list(locations)
    preference = [s.strip().lower() for s in settings.store_type_preference]

    def rank(loc):
        scheme = store_location.scheme_of(loc['url'])
        # "file" and "filesystem" name the same driver; http covers https.
        scheme = {'filesystem': 'file', 'https': 'http'}.get(scheme, scheme)
        return preference.index(scheme) if scheme in preference else len(preference)

    return sorted(locations, key=rank)


def open_data(deps, image, offset=0, length=None):
    """``(iterator of chunks, size)`` of an active image's data, from the first
    readable location in ``location_strategy`` order."""
    return open_first(deps.stores, image['id'],
                      ordered_locations(deps.settings, active_locations(image)),
                      offset=offset, length=length)


def open_first(stores, image_id, locations, offset=0, length=None,
               unreadable=(exception.NotFound, exception.ServiceUnavailable)):
    """``(iterator of chunks, size)`` from the first of ``locations`` that opens;
    a location failing with one of ``unreadable`` passes to the next, and the last
    such error is raised when none opens."""
    error = exception.NotFound('Image %s has no data' % image_id)
    for loc in locations:
        try:
            return stores.for_uri(loc['url']).get(loc['url'], offset=offset,
                                                  length=length)
        except unreadable as e:
            error = e
    raise error


def delete_data(deps, image):
    """Remove every active location's data that this service wrote; external data
    (a read-only store such as http) is left alone, and data already gone is fine."""
    for loc in active_locations(image):
        delete_location_data(deps, image, loc)


def delete_location_data(deps, image, loc):
    """Remove the data at one location of ``image`` if this service wrote it."""
    try:
        store = deps.stores.for_uri(loc['url'])
        if store_base.Capability.WRITE in store.capabilities:
            store.delete(loc['url'])
    except exception.NotFound:
        LOG.info('Data of image %s was already gone from its location', image['id'])
    except exception.UnknownScheme:
        LOG.warning('Image %s has a location in a store that is not enabled; its '
                    'data was left in place', image['id'])
