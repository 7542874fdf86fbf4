import copy
import json

import jsonpatch
import pytest
import warlock
from glanceclient.v2 import schemas as client_schemas

from glance_lite.api.v2 import patch, schemas
from glance_lite.common import exception
from tests.unit.api.v2_samples import IMAGE_ID, image_view, make_schemas

V20, V21 = patch.MEDIA_TYPES
SCHEMAS = make_schemas()
LOC_A = {'url': 'file:///images/a', 'metadata': {}}
LOC_B = {'url': 'http://example.com/b', 'metadata': {'k': 'v'}}
LOC_C = {'url': 'file:///images/c', 'metadata': {}}


def parse21(*operations):
    return patch.parse(V21, json.dumps(list(operations)).encode())


def apply21(image, *operations, schemas_=SCHEMAS):
    return patch.apply(image, parse21(*operations), schemas_, V21)


def apply20(image, *operations):
    return patch.apply(image, patch.parse(V20, json.dumps(list(operations)).encode()),
                       SCHEMAS, V20)


def invalid(func, *args, **kwargs):
    with pytest.raises(exception.Invalid) as e:
        func(*args, **kwargs)
    assert e.value.http_status == 400
    return e.value.msg


# --- parse ----------------------------------------------------------------------------

@pytest.mark.parametrize('content_type', [None, '', 'application/json',
                                          'application/json-patch+json',
                                          'application/openstack-images-v2.2-json-patch'])
def test_other_media_types_get_415_with_accept_patch(content_type):
    with pytest.raises(exception.UnsupportedMediaType) as e:
        patch.parse(content_type, b'[]')
    assert e.value.http_status == 415
    assert e.value.headers == {
        'Accept-Patch': 'application/openstack-images-v2.0-json-patch, '
                        'application/openstack-images-v2.1-json-patch'}


def test_media_type_parameters_and_case_are_ignored():
    changes = patch.parse('Application/OpenStack-Images-v2.1-JSON-Patch; charset=UTF-8',
                          b'[{"op": "replace", "path": "/name", "value": "x"}]')
    assert changes == [patch.Change('replace', ('name',), 'x')]


def test_both_forms_give_the_same_changes():
    v21 = parse21({'op': 'add', 'path': '/a', 'value': '1'},
                  {'op': 'replace', 'path': '/name', 'value': None},
                  {'op': 'remove', 'path': '/b'})
    v20 = patch.parse(V20, json.dumps([{'add': '/a', 'value': '1'},
                                       {'replace': '/name', 'value': None},
                                       {'remove': '/b'}]))
    assert v21 == v20 == [patch.Change('add', ('a',), '1'),
                          patch.Change('replace', ('name',), None),
                          patch.Change('remove', ('b',))]


@pytest.mark.parametrize('body,message', [
    (b'', 'Body expected in request.'),
    (None, 'Body expected in request.'),
    (b'[{"op": ', 'Malformed JSON in request body.'),
    (b'\xff\xfe', 'Malformed JSON in request body.'),
    (b'{"op": "add"}', 'Request body must be a JSON array of operation objects.'),
    (b'"add"', 'Request body must be a JSON array of operation objects.'),
    (b'[["add", "/a"]]', 'Operations must be JSON objects.'),
    (b'[{"path": "/a", "value": "x"}]',
     'Unable to find `op` in JSON Schema change. It must be one of the following: '
     'add, remove, replace.'),
    (b'[{"op": "move", "from": "/a", "path": "/b"}]',
     'Invalid operation: `move`. It must be one of the following: add, remove, replace.'),
    (b'[{"op": "test", "path": "/a", "value": "x"}]', 'Invalid operation: `test`.'),
    (b'[{"op": "add", "value": "x"}]', "Unable to find 'path' in JSON Schema change"),
    (b'[{"op": "add", "path": "/a"}]', 'Operation "add" requires a member named "value".'),
    (b'[{"op": "replace", "path": "/a"}]',
     'Operation "replace" requires a member named "value".'),
])
def test_malformed_v21_patches(body, message):
    assert invalid(patch.parse, V21, body).startswith(message)


@pytest.mark.parametrize('operation,message', [
    ({'op': 'add', 'path': '/a', 'value': 'x'},
     'Operation objects must contain exactly one member named "add", "remove", or '
     '"replace".'),
    ({'add': '/a', 'replace': '/b', 'value': 'x'},
     'Operation objects must contain only one member named "add", "remove", or '
     '"replace".'),
    ({'add': '/a'}, 'Operation "add" requires a member named "value".'),
])
def test_malformed_v20_patches(operation, message):
    assert invalid(patch.parse, V20, json.dumps([operation])) == message


def test_remove_needs_no_value_and_ignores_one():
    assert parse21({'op': 'remove', 'path': '/a', 'value': 'x'}) == [
        patch.Change('remove', ('a',))]


@pytest.mark.parametrize('pointer,message', [
    ('name', 'Pointer `name` does not start with "/".'),
    ('', 'Pointer `` does not start with "/".'),
    ('/', 'Pointer `/` does not name a property.'),
    ('/name/', 'Pointer `/name/` end with "/".'),
    ('//name', 'Pointer `//name` contains adjacent "/".'),
    ('/locations//0', 'Pointer `/locations//0` contains adjacent "/".'),
    ('/a~2b', 'Pointer `/a~2b` contains "~" not part of a recognized escape sequence.'),
    ('/a~', 'Pointer `/a~` contains "~" not part of a recognized escape sequence.'),
    (5, 'Pointer `5` is not a string.'),
    (['/a'], 'Pointer `["/a"]` is not a string.'),
])
def test_bad_pointers(pointer, message):
    assert invalid(parse21, {'op': 'replace', 'path': pointer, 'value': 'x'}) == message


@pytest.mark.parametrize('pointer,segments', [
    ('/a~1b', ('a/b',)),
    ('/a~0b', ('a~b',)),
    ('/~01', ('~1',)),
    ('/caf\u00e9', ('caf\u00e9',)),
    ('/locations/-', ('locations', '-')),
])
def test_pointer_escapes(pointer, segments):
    assert patch.decode_pointer(pointer) == segments


@pytest.mark.parametrize('op,pointer', [
    ('replace', '/name/first'),
    ('add', '/tags/-'),
    ('add', '/locations'),
    ('remove', '/locations'),
    ('replace', '/locations/0'),
    ('add', '/locations/0/metadata'),
])
def test_path_depth(op, pointer):
    msg = invalid(parse21, {'op': op, 'path': pointer, 'value': 'x'})
    assert msg == "Invalid JSON pointer for this resource: '%s'" % pointer


def test_location_paths():
    changes = parse21({'op': 'add', 'path': '/locations/-', 'value': LOC_A},
                      {'op': 'remove', 'path': '/locations/0'},
                      {'op': 'replace', 'path': '/locations', 'value': [LOC_A]})
    assert [c.path for c in changes] == [('locations', '-'), ('locations', '0'),
                                         ('locations',)]


# --- apply: properties -----------------------------------------------------------------

def test_apply_returns_a_new_image_and_leaves_the_input_alone():
    image = image_view()
    snapshot = copy.deepcopy(image)
    changes = parse21({'op': 'replace', 'path': '/tags', 'value': ['x']},
                      {'op': 'add', 'path': '/locations/-', 'value': LOC_B})
    result = patch.apply(image, changes, SCHEMAS, V21)
    assert image == snapshot
    assert result['tags'] == ['x']
    result['tags'].append('y')
    result['locations'][-1]['metadata']['k'] = 'changed'
    assert changes[0].value == ['x'] and changes[1].value == LOC_B


def test_replace():
    result = apply21(image_view(), {'op': 'replace', 'path': '/name', 'value': 'new'},
                     {'op': 'replace', 'path': '/hw_disk_bus', 'value': 'virtio'},
                     {'op': 'replace', 'path': '/min_ram', 'value': 1024},
                     {'op': 'replace', 'path': '/disk_format', 'value': None})
    assert (result['name'], result['hw_disk_bus']) == ('new', 'virtio')
    assert (result['min_ram'], result['disk_format']) == (1024, None)


def test_replace_of_a_base_property_missing_from_the_view_sets_it():
    image = image_view()
    del image['os_hidden']
    assert apply21(image, {'op': 'replace', 'path': '/os_hidden',
                           'value': True})['os_hidden'] is True


@pytest.mark.parametrize('name', ['colour', 'os_version'])
def test_replace_of_a_missing_custom_property_is_a_conflict(name):
    with pytest.raises(exception.Conflict) as e:
        apply21(image_view(), {'op': 'replace', 'path': '/' + name, 'value': 'x'})
    assert e.value.http_status == 409
    assert e.value.msg == 'Property %s does not exist.' % name


def test_add_sets_or_overwrites_in_v21():
    result = apply21(image_view(), {'op': 'add', 'path': '/colour', 'value': 'red'},
                     {'op': 'add', 'path': '/hw_disk_bus', 'value': 'ide'},
                     {'op': 'add', 'path': '/name', 'value': 'renamed'},
                     {'op': 'add', 'path': '/a~1b', 'value': 'slash'})
    assert result['colour'] == 'red' and result['hw_disk_bus'] == 'ide'
    assert result['name'] == 'renamed' and result['a/b'] == 'slash'


@pytest.mark.parametrize('name', ['hw_disk_bus', 'name', 'tags', 'legacy_null'])
def test_v20_add_of_a_present_property_is_a_conflict(name):
    with pytest.raises(exception.Conflict) as e:
        apply20(image_view(), {'add': '/' + name, 'value': ['x'] if name == 'tags' else 'x'})
    assert e.value.msg == 'Property %s already present.' % name


def test_v20_add_and_replace_of_new_and_existing_properties():
    result = apply20(image_view(), {'add': '/colour', 'value': 'red'},
                     {'replace': '/colour', 'value': 'blue'},
                     {'replace': '/name', 'value': 'renamed'})
    assert result['colour'] == 'blue' and result['name'] == 'renamed'


def test_remove_of_a_custom_property():
    result = apply21(image_view(), {'op': 'remove', 'path': '/hw_disk_bus'})
    assert 'hw_disk_bus' not in result


@pytest.mark.parametrize('name', ['name', 'tags', 'visibility', 'min_ram', 'owner',
                                  'disk_format'])
def test_remove_of_a_base_property_is_forbidden(name):
    with pytest.raises(exception.Forbidden) as e:
        apply21(image_view(), {'op': 'remove', 'path': '/' + name})
    assert e.value.msg == 'Property %s may not be removed.' % name


def test_remove_of_a_missing_custom_property_is_a_conflict():
    with pytest.raises(exception.Conflict) as e:
        apply21(image_view(), {'op': 'remove', 'path': '/colour'})
    assert e.value.msg == 'Property colour does not exist.'


@pytest.mark.parametrize('name', sorted(schemas.READ_ONLY_ON_PATCH))
@pytest.mark.parametrize('op', ['add', 'replace', 'remove'])
def test_read_only_attributes(name, op):
    with pytest.raises(exception.Forbidden) as e:
        apply21(image_view(), {'op': op, 'path': '/' + name, 'value': 'x'})
    assert e.value.http_status == 403
    assert e.value.msg == "Attribute '%s' is read-only." % name


@pytest.mark.parametrize('name', ['location', 'deleted', 'deleted_at'])
@pytest.mark.parametrize('op', ['add', 'replace', 'remove'])
def test_reserved_attributes(name, op):
    with pytest.raises(exception.Forbidden) as e:
        apply21(image_view(), {'op': op, 'path': '/' + name, 'value': 'x'})
    assert e.value.msg == "Attribute '%s' is reserved." % name


@pytest.mark.parametrize('pointer,value,message', [
    ('/name', 'x' * 256, 'is too long'),
    ('/protected', 'yes', "'yes' is not of type 'boolean'"),
    ('/visibility', 'everyone', "'everyone' is not one of"),
    ('/disk_format', 'floppy', "'floppy' is not one of"),
    ('/min_disk', 1.5, "1.5 is not of type 'integer'"),
    ('/tags', ['a', 1], "1 is not of type 'string'"),
    ('/tags', None, "None is not of type 'array'"),
    ('/colour', 5, "5 is not of type 'string'"),
    ('/colour', None, "None is not of type 'string'"),
    ('/kernel_id', 'vmlinuz', "'vmlinuz' does not match"),
    ('/locations', [{'url': 'file:///x'}], "'metadata' is a required property"),
    ('/locations', {'url': 'file:///x', 'metadata': {}}, "is not of type 'array'"),
])
def test_values_are_checked_against_the_schema(pointer, value, message):
    msg = invalid(apply21, image_view(), {'op': 'replace', 'path': pointer, 'value': value})
    assert msg.startswith("Provided object does not match schema 'image': ")
    assert message in msg


def test_unknown_properties_are_refused_when_additional_properties_are_off():
    closed = make_schemas(allow_additional=False)
    msg = invalid(apply21, image_view(), {'op': 'add', 'path': '/colour', 'value': 'red'},
                  schemas_=closed)
    assert "'colour' was unexpected" in msg
    result = apply21(image_view(), {'op': 'add', 'path': '/os_version', 'value': '9'},
                     schemas_=closed)
    assert result['os_version'] == '9'


def test_every_change_is_checked_before_any_is_applied():
    # The conflict comes first in the list, but the read-only attribute is refused.
    with pytest.raises(exception.Forbidden):
        apply21(image_view(), {'op': 'replace', 'path': '/colour', 'value': 'x'},
                {'op': 'replace', 'path': '/status', 'value': 'active'})
    with pytest.raises(exception.Invalid):
        apply21(image_view(), {'op': 'remove', 'path': '/colour'},
                {'op': 'replace', 'path': '/name', 'value': 5})


def test_changes_apply_in_order():
    result = apply21(image_view(), {'op': 'add', 'path': '/colour', 'value': 'red'},
                     {'op': 'replace', 'path': '/colour', 'value': 'blue'},
                     {'op': 'remove', 'path': '/colour'},
                     {'op': 'add', 'path': '/colour', 'value': 'green'})
    assert result['colour'] == 'green'
    with pytest.raises(exception.Conflict):
        apply21(image_view(), {'op': 'remove', 'path': '/hw_disk_bus'},
                {'op': 'remove', 'path': '/hw_disk_bus'})


# --- apply: locations --------------------------------------------------------------------

def with_locations(*locations):
    return image_view(locations=[copy.deepcopy(loc) for loc in locations])


@pytest.mark.parametrize('position,expected', [
    ('-', [LOC_A, LOC_B, LOC_C]),
    ('2', [LOC_A, LOC_B, LOC_C]),
    ('1', [LOC_A, LOC_C, LOC_B]),
    ('0', [LOC_C, LOC_A, LOC_B]),
])
def test_add_location_at_a_position(position, expected):
    result = apply21(with_locations(LOC_A, LOC_B),
                     {'op': 'add', 'path': '/locations/' + position, 'value': LOC_C})
    assert result['locations'] == expected


@pytest.mark.parametrize('position', ['3', '01', 'x', '-1', ' 1'])
def test_add_location_at_a_bad_position(position):
    msg = invalid(apply21, with_locations(LOC_A, LOC_B),
                  {'op': 'add', 'path': '/locations/' + position, 'value': LOC_C})
    assert msg == 'Invalid position for adding a location.'


def test_add_location_keeps_validation_data_for_the_caller():
    value = dict(LOC_C, validation_data={'os_hash_algo': 'sha512', 'os_hash_value': 'ab'})
    result = apply21(image_view(locations=[]),
                     {'op': 'add', 'path': '/locations/-', 'value': value})
    assert result['locations'] == [value]


def test_add_location_to_a_view_without_locations():
    image = image_view()
    del image['locations']
    result = apply21(image, {'op': 'add', 'path': '/locations/-', 'value': LOC_A})
    assert result['locations'] == [LOC_A]


def test_add_duplicate_location():
    msg = invalid(apply21, with_locations(LOC_A, LOC_B),
                  {'op': 'add', 'path': '/locations/-', 'value': dict(LOC_B)})
    assert msg == 'The location http://example.com/b already exists'
    # Same URL with other metadata is a different location.
    other = dict(LOC_B, metadata={'k': 'other'})
    result = apply21(with_locations(LOC_A, LOC_B),
                     {'op': 'add', 'path': '/locations/-', 'value': other})
    assert result['locations'][-1] == other


@pytest.mark.parametrize('value,message', [
    ({'url': 'file:///x'}, "'metadata' is a required property"),
    ({'metadata': {}}, "'url' is a required property"),
    ({'url': 'file:///x', 'metadata': 'none'}, "'none' is not of type 'object'"),
    ({'url': 'file:///' + 'x' * 250, 'metadata': {}}, 'is too long'),
    ('file:///x', "'file:///x' is not of type 'object'"),
])
def test_add_location_value_is_checked(value, message):
    msg = invalid(apply21, with_locations(LOC_A),
                  {'op': 'add', 'path': '/locations/-', 'value': value})
    assert message in msg


@pytest.mark.parametrize('position,expected', [
    ('0', [LOC_B, LOC_C]),
    ('1', [LOC_A, LOC_C]),
    ('-', [LOC_A, LOC_B]),
])
def test_remove_location(position, expected):
    result = apply21(with_locations(LOC_A, LOC_B, LOC_C),
                     {'op': 'remove', 'path': '/locations/' + position})
    assert result['locations'] == expected


@pytest.mark.parametrize('position', ['2', '9', 'x', '00'])
def test_remove_location_at_a_bad_position(position):
    msg = invalid(apply21, with_locations(LOC_A, LOC_B),
                  {'op': 'remove', 'path': '/locations/' + position})
    assert msg == 'Invalid position for removing a location.'


def test_last_location_cannot_be_removed():
    with pytest.raises(exception.Forbidden) as e:
        apply21(with_locations(LOC_A, LOC_B), {'op': 'remove', 'path': '/locations/0'},
                {'op': 'remove', 'path': '/locations/0'})
    assert e.value.msg == 'Cannot remove last location in the image.'


def test_remove_from_no_locations_is_a_bad_position():
    msg = invalid(apply21, image_view(locations=[]),
                  {'op': 'remove', 'path': '/locations/0'})
    assert msg == 'Invalid position for removing a location.'


def test_replace_locations():
    result = apply21(with_locations(LOC_A),
                     {'op': 'replace', 'path': '/locations', 'value': [LOC_C, LOC_B]})
    assert result['locations'] == [LOC_C, LOC_B]


def test_replace_locations_with_an_empty_list_is_forbidden():
    with pytest.raises(exception.Forbidden) as e:
        apply21(with_locations(LOC_A), {'op': 'replace', 'path': '/locations', 'value': []})
    assert e.value.msg == 'Cannot set locations to empty list.'


def test_replace_locations_with_duplicates():
    msg = invalid(apply21, with_locations(LOC_A),
                  {'op': 'replace', 'path': '/locations', 'value': [LOC_B, LOC_C, LOC_B]})
    assert msg == 'The location http://example.com/b already exists'


# --- what python-glanceclient sends ----------------------------------------------------

def test_jsonpatch_make_patch_output_parses_and_applies():
    before = image_view()
    after = copy.deepcopy(before)
    after.update({'name': 'renamed', 'colour': 'red', 'a/b~c': 'escaped', 'min_ram': 64})
    del after['hw_disk_bus']
    operations = jsonpatch.make_patch(before, after).to_string()
    changes = patch.parse(V21, operations.encode())
    assert patch.apply(before, changes, SCHEMAS, V21) == after


def client_model():
    return warlock.model_factory(SCHEMAS.document('image'),
                                 base_class=client_schemas.SchemaBasedModel)


def served(view):
    """The view as glanceclient's images.get() keeps it (without 'self')."""
    return {k: v for k, v in view.items() if k != 'self'}


def test_glanceclient_update_round_trip():
    """What ``glance image-update --name n --property k=v --remove-property p`` sends:
    images.update() builds the model from GET, sets attributes, deletes removed ones
    and PATCHes ``image.patch``."""
    view = image_view(name=None, tags=[])
    del view['locations']
    image = client_model()(**served(view))
    image.name = 'named'
    image.min_disk = 3
    image.hw_vif_model = 'e1000'
    image.os_distro = 'ubuntu'
    del image['hw_disk_bus']
    image.tags = ['a', 'b']
    body = image.patch
    operations = json.loads(body)
    assert {'op': 'replace', 'path': '/tags', 'value': ['a', 'b']} in operations

    result = patch.apply(view, patch.parse(V21, body.encode()), SCHEMAS, V21)
    assert result['name'] == 'named' and result['min_disk'] == 3
    assert result['hw_vif_model'] == 'e1000' and result['os_distro'] == 'ubuntu'
    assert 'hw_disk_bus' not in result
    assert result['tags'] == ['a', 'b']
    SCHEMAS.validate_image(result)


def test_glanceclient_sets_a_base_property_absent_from_the_image_with_replace():
    view = image_view()
    del view['os_hidden']
    image = client_model()(**served(view))
    image.os_hidden = True
    operations = json.loads(image.patch)
    assert operations == [{'op': 'replace', 'path': '/os_hidden', 'value': True},
                          {'op': 'replace', 'path': '/tags', 'value': view['tags']}]
    assert patch.apply(view, patch.parse(V21, image.patch), SCHEMAS, V21)['os_hidden']


def test_glanceclient_location_calls():
    """images.add_location() and delete_locations() bodies."""
    view = with_locations(LOC_A, LOC_B)
    add = [{'op': 'add', 'path': '/locations/-',
            'value': {'url': LOC_C['url'], 'metadata': {},
                      'validation_data': {'os_hash_algo': 'sha512',
                                          'os_hash_value': 'ab' * 64}}}]
    added = patch.apply(view, patch.parse(V21, json.dumps(add)), SCHEMAS, V21)
    urls = [loc['url'] for loc in added['locations']]
    assert urls == [LOC_A['url'], LOC_B['url'], LOC_C['url']]
    remove = [{'op': 'remove', 'path': '/locations/%d' % i} for i in (2, 0)]
    removed = patch.apply(added, patch.parse(V21, json.dumps(remove)), SCHEMAS, V21)
    assert removed['locations'] == [LOC_B]
    assert removed['id'] == IMAGE_ID
