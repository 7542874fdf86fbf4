import pytest

from glance_lite.api.v1 import headers
from glance_lite.common import exception


def test_properties_are_lowercased_and_dashes_become_underscores():
    meta = headers.parse({'X-Image-Meta-Property-Foo-Bar': 'baz',
                          'x-image-meta-name': 'cirros', 'Content-Type': 'x'})
    assert meta == {'name': 'cirros', 'properties': {'foo_bar': 'baz'}}


def test_empty_value_means_null():
    meta = headers.parse({'x-image-meta-name': '', 'x-image-meta-property-a': ''})
    assert meta['name'] is None
    assert meta['properties'] == {'a': None}


def test_unknown_core_field_is_a_bad_header():
    with pytest.raises(exception.Invalid, match='Bad header: x-image-meta-colour'):
        headers.parse({'X-Image-Meta-Colour': 'blue'})


@pytest.mark.parametrize('value,message', [
    ('abc', "Cannot convert image size 'abc' to an integer."),
    ('-1', 'Cannot be a negative value.'),
])
def test_bad_size(value, message):
    with pytest.raises(exception.Invalid) as e:
        headers.parse({'x-image-meta-size': value})
    assert e.value.msg == message


def test_virtual_size_may_be_none_literal():
    assert headers.parse({'x-image-meta-virtual_size': 'None'})['virtual_size'] is None


@pytest.mark.parametrize('text,expected', [
    ('True', True), ('yes', True), ('1', True), ('on', True), ('false', False),
    ('nonsense', False)])
def test_booleans(text, expected):
    assert headers.parse({'x-image-meta-is_public': text})['is_public'] is expected


@pytest.mark.parametrize('value', ['yesterday', '1899-01-01T00:00:00', '2020-13-01'])
def test_bad_times(value):
    with pytest.raises(exception.Invalid, match='Invalid time format for created_at.'):
        headers.parse({'x-image-meta-created_at': value})


def test_render_uses_capitalised_booleans_and_omits_location():
    image = {'id': 'i1', 'name': 'n', 'is_public': False, 'protected': True, 'size': 3,
             'checksum': 'abc', 'location': 'file:///secret', 'properties': {'Arch': 'x86'},
             'virtual_size': None}
    out = headers.render(image)
    assert out['x-image-meta-is_public'] == 'False'
    assert out['x-image-meta-protected'] == 'True'
    assert out['x-image-meta-size'] == '3'
    assert out['x-image-meta-property-arch'] == 'x86'
    assert out['ETag'] == 'abc'
    assert not any('location' in k for k in out)
    assert 'x-image-meta-virtual_size' not in out


def test_json_forms_never_carry_location():
    image = {'id': 'i1', 'location': 'file:///x', 'location_data': [{'url': 'file:///x'}],
             'visibility': 'private', 'properties': {'a': 'b'}}
    body = headers.to_json(image)
    assert 'location' not in body and 'location_data' not in body
    assert 'visibility' not in body
    assert body['properties'] == {'a': 'b'}
    brief_fields = {'id', 'name', 'size', 'disk_format', 'container_format', 'checksum'}
    assert set(headers.to_brief_json(image)) == brief_fields
