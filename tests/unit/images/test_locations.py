"""The order locations are read in (location_strategy) and the v2 location rules."""
import pytest

from glance_lite.common import exception
from glance_lite.images import data, deps as image_deps, locations

LOCS = [{'url': 'http://h/a'}, {'url': 'file:///d/b'}, {'url': 'https://h/c'},
        {'url': 'filesystem:///d/e'}]


def settings(**kwargs):
    base = dict(image_size_cap=10, image_member_quota=1, image_property_quota=1,
                disk_formats=('raw',), container_formats=('bare',),
                hashing_algorithm='sha512')
    base.update(kwargs)
    return image_deps.Settings(**base)


def urls(locs):
    return [loc['url'] for loc in locs]


def test_location_order_keeps_the_stored_order():
    assert urls(data.ordered_locations(settings(), LOCS)) == urls(LOCS)
    # store_type without a preference list changes nothing either.
    ordered = data.ordered_locations(settings(location_strategy='store_type'), LOCS)
    assert urls(ordered) == urls(LOCS)


def test_store_type_puts_preferred_schemes_first_stably():
    ordered = data.ordered_locations(
        settings(location_strategy='store_type', store_type_preference=('file', 'http')),
        LOCS)
    assert urls(ordered) == ['file:///d/b', 'filesystem:///d/e', 'http://h/a',
                             'https://h/c']


def test_locations_cannot_change_while_invisible():
    with pytest.raises(exception.Forbidden, match='locations are invisible'):
        locations.check_visible(settings())
    locations.check_visible(settings(show_multiple_locations=True))


def test_storage_quota_units():
    assert image_deps.parse_storage_quota('0') == 0
    assert image_deps.parse_storage_quota('5MB') == 5 * 1024 ** 2
    assert image_deps.parse_storage_quota('2tb') == 2 * 1024 ** 4
    with pytest.raises(ValueError, match='user_storage_quota'):
        image_deps.parse_storage_quota('5 parsecs')
