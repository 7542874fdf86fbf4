import logging
import shutil

import jsonschema
import pytest
import warlock
from glanceclient.v2 import schemas as client_schemas
from oslo_config import cfg

from glance_lite import conf as glance_conf
from glance_lite.api.v2 import schemas
from glance_lite.common import config, exception
from tests.unit.api.v2_samples import IMAGE_ID, STOCK_FILE, image_view, make_schemas

METADEF_NAMES = ('namespace', 'namespaces', 'resource_type', 'resource_types', 'property',
                 'properties', 'object', 'objects', 'tag', 'tags')
SCHEMAS = make_schemas()


# --- the documents ------------------------------------------------------------------

def test_base_properties_are_the_defined_ones():
    assert schemas.BASE_PROPERTIES == set(schemas.base_image_properties((), ()))
    assert {'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum',
            'os_hash_algo', 'os_hash_value', 'owner', 'size', 'virtual_size',
            'container_format', 'disk_format', 'created_at', 'updated_at', 'tags',
            'direct_url', 'min_ram', 'min_disk', 'self', 'file', 'schema',
            'locations'} <= schemas.BASE_PROPERTIES


def test_image_document_shape():
    doc = SCHEMAS.document('image')
    assert doc['name'] == 'image'
    assert doc['additionalProperties'] == {'type': 'string'}
    assert doc['links'] == [{'rel': 'self', 'href': '{self}'},
                            {'rel': 'enclosure', 'href': '{file}'},
                            {'rel': 'describedby', 'href': '{schema}'}]
    props = doc['properties']
    assert props['name'] == {'type': ['null', 'string'], 'maxLength': 255,
                             'description': props['name']['description']}
    assert props['status']['readOnly'] is True
    assert 'pending_delete' in props['status']['enum']
    assert props['disk_format']['enum'] == [None, 'raw', 'qcow2', 'iso']
    assert props['container_format']['enum'] == [None, 'bare', 'ovf']
    assert props['visibility']['enum'] == ['community', 'public', 'private', 'shared']
    assert props['locations']['items']['required'] == ['url', 'metadata']
    jsonschema.Draft4Validator.check_schema(doc)


def test_custom_properties_are_marked_not_base():
    props = SCHEMAS.document('image')['properties']
    for name in ('kernel_id', 'ramdisk_id', 'instance_uuid', 'architecture', 'os_distro',
                 'os_version', 'description'):
        assert props[name]['is_base'] is False
    assert 'is_base' not in props['name']
    client_view = client_schemas.Schema(SCHEMAS.document('image'))
    assert client_view.is_base_property('name')
    assert not client_view.is_base_property('os_distro')
    assert client_view.is_core_property('os_distro')


def test_images_document_lists_image_documents():
    doc = SCHEMAS.document('images')
    assert doc['name'] == 'images'
    assert doc['properties']['images'] == {'type': 'array',
                                           'items': SCHEMAS.document('image')}
    assert set(doc['properties']) == {'images', 'first', 'next', 'schema'}
    assert [link['rel'] for link in doc['links']] == ['first', 'next', 'describedby']


def test_without_additional_properties_the_schema_is_closed_and_has_no_links():
    doc = make_schemas(allow_additional=False).document('image')
    assert doc['additionalProperties'] is False
    assert 'links' not in doc


def test_member_documents():
    member = SCHEMAS.document('member')
    assert member['name'] == 'member'
    assert set(member['properties']) == {'member_id', 'image_id', 'created_at',
                                         'updated_at', 'status', 'schema'}
    assert member['properties']['status']['enum'] == ['pending', 'accepted', 'rejected']
    assert 'additionalProperties' not in member and 'links' not in member
    members = SCHEMAS.document('members')
    assert members == {'name': 'members',
                       'properties': {'members': {'type': 'array', 'items': member},
                                      'schema': {'type': 'string'}},
                       'links': [{'rel': 'describedby', 'href': '{schema}'}]}


def test_task_documents():
    task = SCHEMAS.document('task')
    assert set(task['properties']) == {'id', 'type', 'status', 'input', 'result', 'owner',
                                       'message', 'expires_at', 'created_at', 'updated_at',
                                       'self', 'schema'}
    assert task['properties']['status']['enum'] == ['pending', 'processing', 'success',
                                                    'failure']
    stub = SCHEMAS.document('tasks')['properties']['tasks']['items']
    assert not {'input', 'result', 'message'} & set(stub['properties'])


def test_every_served_name_has_a_valid_document_and_unknown_names_none():
    names = ['image', 'images', 'member', 'members', 'task', 'tasks']
    names += ['metadefs/' + n for n in METADEF_NAMES]
    for name in names:
        jsonschema.Draft4Validator.check_schema(SCHEMAS.document(name))
    assert SCHEMAS.document('imagez') is None
    assert SCHEMAS.document('metadefs/image') is None


def test_documents_are_fresh_copies():
    SCHEMAS.document('image')['properties']['name']['maxLength'] = 1
    assert SCHEMAS.document('image')['properties']['name']['maxLength'] == 255


def test_metadef_document_names():
    names = {n: SCHEMAS.document('metadefs/' + n)['name'] for n in METADEF_NAMES}
    assert names == {'namespace': 'namespace', 'namespaces': 'namespaces',
                     'resource_type': 'resource_type_association',
                     'resource_types': 'resource_type_associations',
                     'property': 'property', 'properties': 'properties',
                     'object': 'object', 'objects': 'objects', 'tag': 'tag', 'tags': 'tags'}
    assert SCHEMAS.document('metadefs/namespace')['required'] == ['namespace']
    assert SCHEMAS.document('metadefs/property')['required'] == ['name', 'title', 'type']


def test_metadef_namespace_schema_validates_a_namespace_and_its_collection():
    namespace = {
        'namespace': 'OS::Compute::Quota', 'display_name': 'Quota', 'visibility': 'public',
        'protected': True, 'resource_type_associations': [{'name': 'OS::Nova::Flavor'}],
        'properties': {'quota:cpu_shares': {'title': 'Shares', 'type': 'integer',
                                            'minimum': 0}},
        'objects': [{'name': 'CPU', 'required': ['a'],
                     'properties': {'a': {'title': 'A', 'type': 'string'}}}],
        'tags': [{'name': 'fast'}]}
    jsonschema.validate(namespace, SCHEMAS.document('metadefs/namespace'))
    jsonschema.validate({'namespaces': [namespace]},
                        SCHEMAS.document('metadefs/namespaces'))
    for bad in ({'display_name': 'no namespace'},
                dict(namespace, visibility='shared'),
                dict(namespace, properties={'p': {'title': 'P', 'type': 'string',
                                                  'maxLength': -1}}),
                dict(namespace, colour='red')):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, SCHEMAS.document('metadefs/namespace'))


def test_metadef_property_list_is_keyed_by_name():
    doc = SCHEMAS.document('metadefs/properties')
    jsonschema.validate({'properties': {'hw_rng': {'title': 'RNG', 'type': 'boolean'}}}, doc)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({'properties': {'hw_rng': {'type': 'boolean'}}}, doc)


# --- custom properties and configuration ---------------------------------------------

def test_a_custom_property_conflicting_with_a_base_one_stops_the_server():
    with pytest.raises(RuntimeError) as e:
        make_schemas({'name': {'type': 'integer'}, 'size': {'type': 'string'}})
    assert str(e.value) == ('Custom image properties in schema-image.json conflict with '
                            'base properties: name, size')


def test_a_custom_property_identical_to_a_base_one_is_accepted():
    name = schemas.base_image_properties((), ())['name']
    doc = make_schemas({'name': name}).document('image')
    assert doc['properties']['name'] == name


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Empty cwd and HOME, so only files a test writes are found."""
    home, cwd = tmp_path / 'home', tmp_path / 'cwd'
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv('HOME', str(home))
    monkeypatch.chdir(cwd)
    return tmp_path


def parsed_conf(etc, text='[DEFAULT]\n', extra_args=()):
    etc.mkdir(exist_ok=True)
    (etc / 'glance-api.conf').write_text(text)
    conf = cfg.ConfigOpts()
    glance_conf.register_api_opts(conf)
    config.parse_args(conf, 'glance-api',
                      ['--config-file', str(etc / 'glance-api.conf'), *extra_args])
    return conf


def test_from_conf_reads_the_schema_file_beside_the_config_file(isolated):
    etc = isolated / 'etc'
    conf = parsed_conf(etc, '[image_format]\ndisk_formats = raw,vhd\n')
    shutil.copy(STOCK_FILE, etc / 'schema-image.json')
    doc = schemas.Schemas.from_conf(conf).document('image')
    assert doc['properties']['kernel_id']['is_base'] is False
    assert doc['properties']['disk_format']['enum'] == [None, 'raw', 'vhd']
    assert None in doc['properties']['container_format']['enum']
    assert 'bare' in doc['properties']['container_format']['enum']


def test_schema_file_lookup_order(isolated):
    """--config-dir, then beside the config file, then the search dirs (cwd first)."""
    etc, confd = isolated / 'etc', isolated / 'conf.d'
    confd.mkdir()
    conf = parsed_conf(etc, extra_args=['--config-dir', str(confd)])
    assert config.find_file(conf, 'schema-image.json') is None
    (isolated / 'cwd' / 'schema-image.json').write_text('{}')
    assert config.find_file(conf, 'schema-image.json') == str(
        isolated / 'cwd' / 'schema-image.json')
    (etc / 'schema-image.json').write_text('{}')
    assert config.find_file(conf, 'schema-image.json') == str(etc / 'schema-image.json')
    (confd / 'schema-image.json').write_text('{}')
    assert config.find_file(conf, 'schema-image.json') == str(confd / 'schema-image.json')


def test_missing_schema_file_warns_and_adds_no_custom_property(isolated, caplog):
    conf = parsed_conf(isolated / 'etc')
    with caplog.at_level(logging.WARNING, logger=schemas.__name__):
        doc = schemas.Schemas.from_conf(conf).document('image')
    assert set(doc['properties']) == schemas.BASE_PROPERTIES
    assert 'Could not find schema-image.json' in caplog.text


@pytest.mark.parametrize('content,message', [
    ('{"a": ', 'Cannot load custom image properties from '),
    ('["a"]', 'must hold a JSON object mapping property names to schemas.'),
    ('{"a": {"type": "text"}}', "Invalid definition of custom image property 'a'"),
    ('{"a": "string"}', "Invalid definition of custom image property 'a'"),
])
def test_broken_schema_file_stops_the_server(isolated, content, message):
    etc = isolated / 'etc'
    conf = parsed_conf(etc)
    (etc / 'schema-image.json').write_text(content)
    with pytest.raises(RuntimeError, match=message):
        schemas.Schemas.from_conf(conf)


def test_additional_properties_option(isolated):
    conf = parsed_conf(isolated / 'etc', '[DEFAULT]\nallow_additional_image_properties = '
                                         'false\n')
    closed = schemas.Schemas.from_conf(conf)
    assert closed.document('image')['additionalProperties'] is False
    with pytest.raises(exception.Invalid, match="'colour' was unexpected"):
        closed.check_create_body({'name': 'x', 'colour': 'red'})


# --- checks -------------------------------------------------------------------------

def test_a_realistic_image_view_validates():
    SCHEMAS.validate_image(image_view())
    SCHEMAS.validate_image(image_view(name=None, checksum=None, os_hash_algo=None,
                                      os_hash_value=None, size=None, owner=None,
                                      container_format=None, disk_format=None,
                                      tags=[], locations=[]))
    SCHEMAS.validate_image({})


@pytest.mark.parametrize('changes,message', [
    ({'name': 'x' * 256}, "is too long"),
    ({'disk_format': 'floppy'}, "'floppy' is not one of [None, 'raw', 'qcow2', 'iso']"),
    ({'status': 'sleeping'}, "'sleeping' is not one of"),
    ({'visibility': 'everyone'}, "'everyone' is not one of"),
    ({'protected': 'yes'}, "'yes' is not of type 'boolean'"),
    ({'min_ram': '512'}, "'512' is not of type 'integer'"),
    ({'id': 'not-a-uuid'}, "'not-a-uuid' does not match"),
    ({'hw_disk_bus': 5}, "5 is not of type 'string'"),
    ({'legacy_null': None}, "None is not of type 'string'"),
    ({'kernel_id': 'vmlinuz'}, "'vmlinuz' does not match"),
    ({'os_distro': None}, "None is not of type 'string'"),
    ({'tags': ['ok', 7]}, "7 is not of type 'string'"),
    ({'tags': 'one'}, "'one' is not of type 'array'"),
    ({'locations': [{'url': 'file:///x'}]}, "'metadata' is a required property"),
    ({'locations': [{'url': 'file:///x', 'metadata': {},
                     'validation_data': {'checksum': 'abc'}}]}, 'is a required property'),
])
def test_bad_values_are_refused_with_the_schema_message(changes, message):
    with pytest.raises(exception.Invalid) as e:
        SCHEMAS.validate_image(image_view(**changes))
    assert e.value.http_status == 400
    assert e.value.msg.startswith("Provided object does not match schema 'image': ")
    assert message in e.value.msg


def test_create_body_is_accepted_as_a_new_dict():
    body = {'id': IMAGE_ID, 'name': 'cirros', 'disk_format': 'raw',
            'container_format': 'bare', 'visibility': 'private', 'protected': True,
            'os_hidden': False, 'min_ram': 1, 'min_disk': 2, 'owner': 'p1',
            'tags': ['a'], 'hw_disk_bus': 'scsi', 'location': 'is just a property'}
    accepted = SCHEMAS.check_create_body(body)
    assert accepted == body and accepted is not body


@pytest.mark.parametrize('body,message', [
    (None, 'Body expected in request.'),
    ([{'name': 'x'}], 'Request body must be a JSON object.'),
    ('cirros', 'Request body must be a JSON object.'),
])
def test_create_needs_a_json_object(body, message):
    with pytest.raises(exception.Invalid) as e:
        SCHEMAS.check_create_body(body)
    assert e.value.msg == message


@pytest.mark.parametrize('key', sorted(schemas.READ_ONLY))
def test_create_refuses_read_only_keys(key):
    with pytest.raises(exception.Forbidden) as e:
        SCHEMAS.check_create_body({'name': 'x', key: None})
    assert e.value.http_status == 403
    assert e.value.msg == "Attribute '%s' is read-only." % key


@pytest.mark.parametrize('key', ['locations', 'deleted', 'deleted_at'])
def test_create_refuses_reserved_keys(key):
    with pytest.raises(exception.Forbidden) as e:
        SCHEMAS.check_create_body({key: []})
    assert e.value.msg == "Attribute '%s' is reserved." % key


def test_create_body_schema_violation_is_a_400():
    with pytest.raises(exception.Invalid) as e:
        SCHEMAS.check_create_body({'name': 'x', 'container_format': 'crate'})
    assert "'crate' is not one of" in e.value.msg


def test_filter_image():
    view = image_view(colour='red')
    assert SCHEMAS.filter_image(view) is view
    filtered = make_schemas(allow_additional=False).filter_image(view)
    assert 'colour' not in filtered and 'hw_disk_bus' not in filtered
    assert filtered['os_distro'] == 'cirros' and filtered['name'] == 'cirros'
    assert 'colour' in view


def test_is_base():
    assert SCHEMAS.is_base('name') and SCHEMAS.is_base('locations')
    assert not SCHEMAS.is_base('os_distro')
    assert not SCHEMAS.is_base('hw_disk_bus')


def test_glanceclient_model_accepts_served_images_and_checks_what_it_sets():
    """glanceclient builds a warlock model from /v2/schemas/image (images.update,
    images.create) and validates every attribute it sets."""
    model = warlock.model_factory(SCHEMAS.document('image'),
                                  base_class=client_schemas.SchemaBasedModel)
    view = image_view()
    del view['self']  # glanceclient drops it before building the model
    image = model(**view)
    image.name = None
    image.os_version = '22.04'
    image.min_ram = 512
    with pytest.raises(warlock.InvalidOperation):
        image.disk_format = 'floppy'
    with pytest.raises(warlock.InvalidOperation):
        image.hw_disk_bus = 5
    created = model()
    created.name = 'new'
    created.disk_format = 'raw'
    created.tags = ['x']
    assert SCHEMAS.check_create_body(dict(created)) == {'name': 'new', 'disk_format': 'raw',
                                                        'tags': ['x']}
