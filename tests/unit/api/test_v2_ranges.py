"""Range requests on GET /v2/images/{id}/file (api-v2.md §5.2)."""
import pytest
import webob

from glance_lite.api.v2 import image_data
from glance_lite.common import exception


def ranged(size, **headers):
    return image_data.requested_range(webob.Request.blank('/', headers=headers), size)


def test_no_range_is_the_whole_image():
    assert ranged(100) is None


@pytest.mark.parametrize('header, expected', [
    ('bytes=0-9', (0, 10)), ('bytes=90-', (90, 10)), ('bytes=-5', (95, 5)),
    ('bytes=50-500', (50, 50)), ('bytes=-500', (0, 100)), ('bytes=99-99', (99, 1)),
])
def test_satisfiable_ranges(header, expected):
    assert ranged(100, Range=header) == expected


@pytest.mark.parametrize('header', ['bytes=100-', 'bytes=5-2', 'chars=0-1', 'bytes=-',
                                    'bytes=x-y', 'bytes=-0'])
def test_unsatisfiable_ranges_are_416(header):
    with pytest.raises(exception.RangeNotSatisfiable):
        ranged(100, Range=header)


def test_multiple_ranges_are_400():
    with pytest.raises(exception.Invalid, match='Multiple ranges'):
        ranged(100, Range='bytes=0-1,5-6')


def test_legacy_content_range_request_header():
    assert ranged(100, **{'Content-Range': 'bytes 10-19/*'}) == (10, 10)
    with pytest.raises(exception.RangeNotSatisfiable):
        ranged(100, **{'Content-Range': 'bytes 10-100/*'})
