import pytest

from glance_lite.common import exception
from glance_lite.images import deps, validation

SETTINGS = deps.Settings(image_size_cap=100, image_member_quota=2, image_property_quota=2,
                         disk_formats=('raw', 'qcow2', 'ami', 'aki', 'ari'),
                         container_formats=('bare', 'ami', 'aki', 'ari'),
                         hashing_algorithm='sha512')


@pytest.mark.parametrize('meta,message', [
    ({'disk_format': 'floppy'}, "Invalid disk format 'floppy' for image."),
    ({'container_format': 'box'}, "Invalid container format 'box' for image."),
    ({'disk_format': 'aki', 'container_format': 'bare'}, 'Invalid mix of disk and container'),
])
def test_bad_formats(meta, message):
    with pytest.raises(exception.Invalid, match=message.replace('(', r'\(')):
        validation.check_formats(SETTINGS, meta)


def test_amazon_formats_fill_each_other():
    meta = {'disk_format': 'ami'}
    validation.check_formats(SETTINGS, meta)
    assert meta['container_format'] == 'ami'


@pytest.mark.parametrize('meta,message', [
    ({'name': 'x' * 256}, 'Image name too long: 256'),
    ({'checksum': 'a' * 33}, "can't exceed 32 characters"),
    ({'min_ram': 2 ** 31}, "'min_ram' value out of range, must not exceed 2147483647."),
])
def test_bad_values(meta, message):
    with pytest.raises(exception.Invalid) as e:
        validation.check_values(meta)
    assert message in e.value.msg


def test_property_quota():
    validation.check_property_quota(SETTINGS, 2)
    with pytest.raises(exception.ImagePropertyLimitExceeded) as e:
        validation.check_property_quota(SETTINGS, 3)
    assert e.value.http_status == 413
