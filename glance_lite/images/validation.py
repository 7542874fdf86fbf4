"""Checks on image metadata values, the same for every API version."""
from glance_lite.common import exception

MAX_INT32 = 2 ** 31 - 1
_AMAZON = ('aki', 'ari', 'ami')


def check_formats(settings, meta):
    """Validate disk/container formats in ``meta`` (changes it for the Amazon rule)."""
    disk, container = meta.get('disk_format'), meta.get('container_format')
    if disk is not None and disk not in settings.disk_formats:
        raise exception.Invalid("Invalid disk format '%s' for image." % disk)
    if container is not None and container not in settings.container_formats:
        raise exception.Invalid("Invalid container format '%s' for image." % container)
    if disk in _AMAZON or container in _AMAZON:
        # Amazon kernel, ramdisk and machine images use the same value for both formats.
        if disk is None:
            meta['disk_format'] = container
        elif container is None:
            meta['container_format'] = disk
        elif disk != container:
            raise exception.Invalid(
                'Invalid mix of disk and container formats. When setting a disk or '
                'container format to one of \'aki\', \'ari\', or \'ami\', the container '
                'and disk formats must match.')


def check_values(meta):
    name = meta.get('name')
    if name is not None and len(name) > 255:
        raise exception.Invalid('Image name too long: %d' % len(name))
    checksum = meta.get('checksum')
    if checksum is not None and len(checksum) > 32:
        raise exception.Invalid("Invalid checksum '%s': can't exceed 32 characters"
                                % checksum)
    for field in ('min_disk', 'min_ram'):
        value = meta.get(field)
        if value is not None and value > MAX_INT32:
            raise exception.Invalid("'%s' value out of range, must not exceed %d."
                                    % (field, MAX_INT32))


def check_property_quota(settings, count):
    _check_quota(settings.image_property_quota, count, exception.ImagePropertyLimitExceeded)


def check_member_quota(settings, count):
    _check_quota(settings.image_member_quota, count, exception.ImageMemberLimitExceeded)


def check_tag_quota(settings, count):
    _check_quota(settings.image_tag_quota, count, exception.ImageTagLimitExceeded)


def check_location_quota(settings, count):
    _check_quota(settings.image_location_quota, count, exception.ImageLocationLimitExceeded)


def _check_quota(maximum, count, error):
    """A negative quota means unlimited."""
    if 0 <= maximum < count:
        raise error(attempted=count, maximum=maximum)
