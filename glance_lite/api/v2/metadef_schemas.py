"""JSON schemas of the metadata-definition catalog, served under ``/v2/schemas/metadefs``
(api-v2.md §8, §10).

Served in full ("raw") form: ``additionalProperties`` false, required keys listed, and
the shared ``definitions`` at the top of each document so ``$ref`` pointers resolve
in collections too.
"""
NAME_LENGTH = 80
_JSON_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string', None]


def _timestamp(description):
    return {'type': 'string', 'readOnly': True, 'format': 'date-time',
            'description': description}


def _item(name, properties, required):
    return {'name': name, 'properties': properties, 'additionalProperties': False,
            'required': required}


def _property_fields():
    """What describes one metadef property (the JSON-schema subset the catalog uses)."""
    return {
        'name': {'type': 'string', 'maxLength': NAME_LENGTH},
        'title': {'type': 'string'},
        'description': {'type': 'string'},
        'operators': {'type': 'array', 'items': {'type': 'string'}},
        'type': {'type': 'string', 'enum': list(_JSON_TYPES)},
        'required': {'$ref': '#/definitions/stringArray'},
        'minimum': {'type': 'number'},
        'maximum': {'type': 'number'},
        'maxLength': {'$ref': '#/definitions/positiveInteger'},
        'minLength': {'$ref': '#/definitions/positiveIntegerDefault0'},
        'pattern': {'type': 'string', 'format': 'regex'},
        'enum': {'type': 'array'},
        'readonly': {'type': 'boolean'},
        'default': {},
        'items': {'type': 'object', 'properties': {
            'type': {'type': 'string', 'enum': list(_JSON_TYPES)},
            'enum': {'type': 'array'}}},
        'maxItems': {'$ref': '#/definitions/positiveInteger'},
        'minItems': {'$ref': '#/definitions/positiveIntegerDefault0'},
        'uniqueItems': {'type': 'boolean', 'default': False},
        'additionalItems': {'type': 'boolean'},
    }


def _scalar_definitions():
    return {
        'positiveInteger': {'type': 'integer', 'minimum': 0},
        'positiveIntegerDefault0': {'allOf': [{'$ref': '#/definitions/positiveInteger'},
                                              {'default': 0}]},
        'stringArray': {'type': 'array', 'items': {'type': 'string'}, 'uniqueItems': True},
    }


def _definitions():
    """The scalar definitions plus ``property``: a map of property name → definition."""
    definitions = _scalar_definitions()
    fields = _property_fields()
    del fields['name']
    definitions['property'] = {
        'type': 'object',
        'additionalProperties': {'type': 'object', 'required': ['title', 'type'],
                                 'properties': fields}}
    return definitions


def _named_list(item_properties):
    return {'type': 'array', 'items': {'type': 'object', 'properties': item_properties}}


def _namespace():
    properties = {
        'namespace': {'type': 'string', 'maxLength': NAME_LENGTH,
                      'description': 'Unique name of the namespace.'},
        'display_name': {'type': 'string', 'maxLength': NAME_LENGTH,
                         'description': 'Name shown to people.'},
        'description': {'type': 'string', 'maxLength': 500,
                        'description': 'What the namespace is for.'},
        'visibility': {'type': 'string', 'enum': ['public', 'private'],
                       'description': 'Who may see the namespace.'},
        'protected': {'type': 'boolean',
                      'description': 'When true, the namespace cannot be deleted.'},
        'owner': {'type': 'string', 'maxLength': 255,
                  'description': 'Project that owns the namespace.'},
        'created_at': _timestamp('When the namespace was created.'),
        'updated_at': _timestamp('When the namespace last changed.'),
        'schema': {'type': 'string', 'readOnly': True},
        'self': {'type': 'string', 'readOnly': True},
        'resource_type_associations': _named_list({
            'name': {'type': 'string'}, 'prefix': {'type': 'string'},
            'properties_target': {'type': 'string'}}),
        'properties': {'$ref': '#/definitions/property'},
        'objects': _named_list({
            'name': {'type': 'string'}, 'description': {'type': 'string'},
            'required': {'$ref': '#/definitions/stringArray'},
            'properties': {'$ref': '#/definitions/property'}}),
        'tags': _named_list({'name': {'type': 'string'}}),
    }
    return _item('namespace', properties, ['namespace'])


def _resource_type_association():
    properties = {
        'name': {'type': 'string', 'maxLength': NAME_LENGTH,
                 'description': 'Resource type, named as in Heat where one exists '
                                '(e.g. OS::Glance::Image).'},
        'prefix': {'type': 'string', 'maxLength': NAME_LENGTH,
                   'description': 'Prefix the resource type puts before the property '
                                  'names of the namespace.'},
        'properties_target': {'type': 'string', 'maxLength': NAME_LENGTH,
                              'description': 'Which part of the resource the properties '
                                             'apply to, when it has several.'},
        'created_at': _timestamp('When the association was created.'),
        'updated_at': _timestamp('When the association last changed.'),
    }
    return _item('resource_type_association', properties, ['name'])


def _property(required):
    return _item('property', _property_fields(), required)


def _object():
    properties = {
        'name': {'type': 'string', 'maxLength': NAME_LENGTH},
        'description': {'type': 'string'},
        'required': {'$ref': '#/definitions/stringArray'},
        'properties': {'$ref': '#/definitions/property'},
        'schema': {'type': 'string', 'readOnly': True},
        'self': {'type': 'string', 'readOnly': True},
        'created_at': _timestamp('When the object was created.'),
        'updated_at': _timestamp('When the object last changed.'),
    }
    return _item('object', properties, ['name'])


def _tag():
    properties = {
        'name': {'type': 'string', 'maxLength': NAME_LENGTH},
        'created_at': _timestamp('When the tag was created.'),
        'updated_at': _timestamp('When the tag last changed.'),
    }
    return _item('tag', properties, ['name'])


def _collection(name, item, definitions, as_map=False):
    """A list document; ``as_map``: the items are the values of an object keyed by name
    (how namespace properties are listed)."""
    if as_map:
        container = {'type': 'object', 'additionalProperties': item}
    else:
        container = {'type': 'array', 'items': item}
    document = {'name': name,
                'properties': {name: container, 'first': {'type': 'string'},
                               'next': {'type': 'string'}, 'schema': {'type': 'string'}},
                'links': [{'rel': 'first', 'href': '{first}'},
                          {'rel': 'next', 'href': '{next}'},
                          {'rel': 'describedby', 'href': '{schema}'}]}
    if definitions:
        document['definitions'] = definitions
    return document


def _with_definitions(item, definitions):
    return dict(item, definitions=definitions) if definitions else item


def documents():
    """Every metadef document by its name under ``/v2/schemas/metadefs/``."""
    full, scalar = _definitions(), _scalar_definitions()
    pairs = {
        # name: (item, collection name, definitions the item refers to)
        'namespace': (_namespace(), 'namespaces', full),
        'resource_type': (_resource_type_association(), 'resource_type_associations', {}),
        'object': (_object(), 'objects', full),
        'tag': (_tag(), 'tags', {}),
    }
    docs = {}
    for name, (item, collection, definitions) in pairs.items():
        docs[name] = _with_definitions(item, definitions)
        docs[name + 's'] = _collection(collection, item, definitions)
    docs['property'] = _with_definitions(_property(['name', 'title', 'type']), scalar)
    # In a property list the name is the key, not a field of the item.
    docs['properties'] = _collection('properties', _property(['title', 'type']), scalar,
                                     as_map=True)
    return docs
