"""Locations of an image: the rules for adding and removing them (v2 PATCH on
``/locations``).  The order they are read in is ``data.ordered_locations``."""
import logging

from glance_lite.common import exception
from glance_lite.images import data, validation

LOG = logging.getLogger(__name__)

_HEX_LENGTHS = {'md5': 32, 'sha1': 40, 'sha224': 56, 'sha256': 64, 'sha384': 96,
                'sha512': 128}


def check_visible(settings):
    if not settings.show_multiple_locations:
        raise exception.Forbidden("It's not allowed to add/update/remove locations if "
                                  "locations are invisible.")


def _parsed(location):
    url = location.get('url')
    if not isinstance(url, str) or not url:
        raise exception.Invalid('Invalid location: a location needs a "url".')
    metadata = location.get('metadata') or {}
    if not isinstance(metadata, dict):
        raise exception.Invalid('Invalid location: "metadata" must be an object.')
    return {'url': url, 'metadata': metadata, 'status': 'active'}


def _check_external(deps, url):
    """A location a caller adds must be one this service may read (SSRF rules)."""
    try:
        deps.stores.validate_external_location(url)
    except exception.BadStoreUri as e:
        raise exception.Invalid('Invalid location %s: %s' % (url, e.msg))


def _validation_values(settings, image, validation_data):
    """Image fields a location's ``validation_data`` vouches for.

    :raises exception.Conflict: the data is malformed, or disagrees with what the
        image already records (the location would hold other bytes).
    """
    if not validation_data:
        return {}
    algo = validation_data.get('os_hash_algo')
    value = validation_data.get('os_hash_value')
    if algo != settings.hashing_algorithm:
        raise exception.Conflict('os_hash_algo must be %s, not %s.'
                                 % (settings.hashing_algorithm, algo))
    if not isinstance(value, str) or len(value) != _HEX_LENGTHS.get(algo, len(value or '')) \
            or any(c not in '0123456789abcdefABCDEF' for c in value):
        raise exception.Conflict('os_hash_value is not a valid %s digest.' % algo)
    values = {'os_hash_algo': algo, 'os_hash_value': value.lower()}
    checksum = validation_data.get('checksum')
    if checksum is not None:
        values['checksum'] = checksum
    for field, new in values.items():
        if image.get(field) and image[field] != new:
            raise exception.Conflict("%s of the location's validation data conflicts "
                                     "with the image." % field)
    return values


def change(deps, ctx, image, new_locations):
    """Make ``new_locations`` (``[{url, metadata, validation_data?}]``) the image's
    locations; returns the registry changes, or None when nothing changes.

    Adding needs ``set_image_location``, removing ``delete_image_location``; the
    first location of a queued image activates it (with its size and validation data).
    Data of removed locations is deleted from stores this service writes to.
    """
    settings = deps.settings
    check_visible(settings)
    current = data.active_locations(image)
    current_urls = [loc['url'] for loc in current]
    wanted = [_parsed(loc) for loc in new_locations]
    wanted_urls = [loc['url'] for loc in wanted]
    if len(set(wanted_urls)) != len(wanted_urls):
        raise exception.Invalid('Duplicate location URLs are not allowed.')
    added = [loc for loc in wanted if loc['url'] not in current_urls]
    removed = [loc for loc in current if loc['url'] not in wanted_urls]
    if not added and not removed:
        return None
    if added:
        deps.policy.enforce(ctx, 'set_image_location')
        for loc in added:
            _check_external(deps, loc['url'])
        if image['status'] not in ('queued', 'active'):
            raise exception.Conflict('Locations can only be added to queued or active '
                                     'images, not %s ones.' % image['status'])
    if removed:
        deps.policy.enforce(ctx, 'delete_image_location')
        if not wanted:
            raise exception.Forbidden('Cannot remove last location in the image.')
        if image['status'] != 'active':
            raise exception.Conflict('Locations can only be removed from active images.')
    validation.check_location_quota(settings, len(wanted))
    # Keep the stored rows (ids, metadata) of locations that stay.
    by_url = {loc['url']: loc for loc in current}
    values = {'location_data': [by_url.get(loc['url'], loc) for loc in wanted]}
    if image['status'] == 'queued':
        values.update(_activation(deps, image, new_locations, wanted[0]['url']))
    else:
        added_urls = {loc['url'] for loc in added}
        for loc in new_locations:
            if loc.get('url') in added_urls:
                # Checked against what the image already records (409 on conflict).
                _validation_values(settings, image, loc.get('validation_data'))
    for loc in removed:
        data.delete_location_data(deps, image, loc)
    return values


def _activation(deps, image, new_locations, url):
    values = {'status': 'active'}
    if not image.get('size'):
        try:
            values['size'] = deps.stores.for_uri(url).get_size(url) or None
        except exception.GlanceException as e:
            LOG.info('Size of %s unknown: %s', url, e.msg)
    validation_data = next((loc.get('validation_data') for loc in new_locations
                            if loc.get('url') == url), None)
    values.update(_validation_values(deps.settings, image, validation_data))
    return values
