"""JSON schemas of the Images API v2: the documents under ``/v2/schemas`` and the checks
made with the image schema (api-v2.md §3.2, §8).

The image schema is built once per worker from ``[image_format]`` and the operator's
``schema-image.json``; python-glanceclient builds its warlock model from the served
document and validates every image it sends or receives with it, so the document must
accept every image glance_lite renders.
"""
import copy
import json
import logging

import jsonschema

from glance_lite.api.v2 import metadef_schemas
from glance_lite.common import config, exception

LOG = logging.getLogger(__name__)

SCHEMA_FILE = 'schema-image.json'

UUID_PATTERN = ('^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}'
                '-([0-9a-fA-F]){12}$')
IMAGE_STATUSES = ('queued', 'saving', 'active', 'killed', 'deleted', 'uploading',
                  'importing', 'pending_delete', 'deactivated')
VISIBILITIES = ('community', 'public', 'private', 'shared')
MEMBER_STATUSES = ('pending', 'accepted', 'rejected')
TASK_TYPES = ('import', 'api_image_import')
TASK_STATUSES = ('pending', 'processing', 'success', 'failure')


def _nullable(kind, description, **constraints):
    return dict({'type': ['null', kind], 'description': description}, **constraints)


def _read_only(kind, description, **constraints):
    return dict({'type': kind, 'readOnly': True, 'description': description}, **constraints)


def base_image_properties(disk_formats, container_formats):
    """Definitions of the base image properties, the formats taken from the config."""
    return {
        'id': {'type': 'string', 'pattern': UUID_PATTERN,
               'description': 'UUID of the image.'},
        'name': _nullable('string', 'Name shown to people.', maxLength=255),
        'status': _read_only('string', 'Where the image is in its life cycle.',
                             enum=list(IMAGE_STATUSES)),
        'visibility': {'type': 'string', 'enum': list(VISIBILITIES),
                       'description': 'Who may see and use the image.'},
        'protected': {'type': 'boolean',
                      'description': 'When true, the image cannot be deleted.'},
        'os_hidden': {'type': 'boolean',
                      'description': 'When true, default image lists leave the image out.'},
        'checksum': _nullable('string', 'MD5 of the image data.', readOnly=True,
                              maxLength=32),
        'os_hash_algo': _nullable('string', 'Algorithm of os_hash_value.', readOnly=True,
                                  maxLength=64),
        'os_hash_value': _nullable('string', 'Secure hash of the image data.',
                                   readOnly=True, maxLength=128),
        'owner': _nullable('string', 'Project that owns the image.', maxLength=255),
        'size': _nullable('integer', 'Size of the image data in bytes.', readOnly=True),
        'virtual_size': _nullable('integer', 'Size of the virtual disk in bytes.',
                                  readOnly=True),
        'container_format': _nullable('string', 'Format of the container around the disk.',
                                      enum=[None] + list(container_formats)),
        'disk_format': _nullable('string', 'Format of the disk image.',
                                 enum=[None] + list(disk_formats)),
        'created_at': _read_only('string', 'When the image was registered.'),
        'updated_at': _read_only('string', 'When the image record last changed.'),
        'tags': {'type': 'array', 'items': {'type': 'string', 'maxLength': 255},
                 'description': 'Free-form labels of the image.'},
        'direct_url': _read_only('string', 'URL of the image data in its store.'),
        'min_ram': {'type': 'integer',
                    'description': 'RAM in MB needed to boot the image.'},
        'min_disk': {'type': 'integer',
                     'description': 'Disk space in GB needed to boot the image.'},
        'self': _read_only('string', 'Path of this image.'),
        'file': _read_only('string', 'Path of the image data.'),
        'backend': _read_only('string', 'Store backend holding the image data.'),
        'schema': _read_only('string', 'Path of the schema of this document.'),
        'locations': {
            'type': 'array',
            'description': 'Where the image data is kept.',
            'items': {
                'type': 'object',
                'required': ['url', 'metadata'],
                'properties': {
                    'url': {'type': 'string', 'maxLength': 255},
                    'metadata': {'type': 'object'},
                    'validation_data': {
                        'type': 'object',
                        'writeOnly': True,
                        'description': 'Hashes of the data at a location added to an '
                                       'image that has none yet.',
                        'additionalProperties': False,
                        'required': ['os_hash_algo', 'os_hash_value'],
                        'properties': {
                            'checksum': {'type': 'string', 'minLength': 32,
                                         'maxLength': 32},
                            'os_hash_algo': {'type': 'string', 'maxLength': 64},
                            'os_hash_value': {'type': 'string', 'maxLength': 128},
                        },
                    },
                },
            },
        },
    }


BASE_PROPERTIES = frozenset(base_image_properties((), ()))

# Keys a caller never writes: the server computes them.  'backend' is not in Glance's
# lists; refusing it here keeps it from reaching the registry as a custom property.
READ_ONLY = frozenset(['created_at', 'updated_at', 'status', 'checksum', 'os_hash_algo',
                       'os_hash_value', 'size', 'virtual_size', 'direct_url', 'self',
                       'file', 'schema', 'backend'])
# The id is chosen at creation only.
READ_ONLY_ON_PATCH = READ_ONLY | {'id'}
# Reserved names on PATCH.  On create 'location' is just a custom property, while
# 'locations' is reserved: locations are added by PATCH once the image exists.
RESERVED = frozenset(['location', 'deleted', 'deleted_at'])
RESERVED_ON_CREATE = frozenset(['locations', 'deleted', 'deleted_at'])


def _image_links():
    return [{'rel': 'self', 'href': '{self}'}, {'rel': 'enclosure', 'href': '{file}'},
            {'rel': 'describedby', 'href': '{schema}'}]


def _member_properties():
    return {
        'member_id': {'type': 'string', 'description': 'Project the image is shared with.'},
        'image_id': {'type': 'string', 'pattern': UUID_PATTERN,
                     'description': 'UUID of the shared image.'},
        'created_at': {'type': 'string', 'description': 'When the image was shared.'},
        'updated_at': {'type': 'string', 'description': 'When the membership last changed.'},
        'status': {'type': 'string', 'enum': list(MEMBER_STATUSES),
                   'description': 'Whether the member accepted the image.'},
        'schema': {'type': 'string', 'readOnly': True},
    }


def _task_properties():
    return {
        'id': {'type': 'string', 'pattern': UUID_PATTERN, 'description': 'UUID of the task.'},
        'type': {'type': 'string', 'enum': list(TASK_TYPES),
                 'description': 'What the task does.'},
        'status': {'type': 'string', 'enum': list(TASK_STATUSES),
                   'description': 'Where the task is in its life cycle.'},
        'input': {'type': ['null', 'object'], 'description': 'Parameters of the task.'},
        'result': {'type': ['null', 'object'], 'description': 'What the task produced.'},
        'owner': {'type': 'string', 'description': 'Project that owns the task.'},
        'message': {'type': 'string',
                    'description': 'Explanation for people, usually of a failure.'},
        'expires_at': {'type': ['null', 'string'],
                       'description': 'When the task record may be removed.'},
        'created_at': {'type': 'string', 'description': 'When the task was created.'},
        'updated_at': {'type': 'string', 'description': 'When the task last changed.'},
        'self': {'type': 'string'},
        'schema': {'type': 'string'},
    }


def _minimal_collection(name, item):
    return {'name': name,
            'properties': {name: {'type': 'array', 'items': item},
                           'schema': {'type': 'string'}},
            'links': [{'rel': 'describedby', 'href': '{schema}'}]}


def _fixed_documents():
    """Documents that do not depend on the configuration (member, task, metadefs)."""
    member = {'name': 'member', 'properties': _member_properties()}
    task = {'name': 'task', 'properties': _task_properties()}
    # Task lists carry stubs: no input, result or message.
    task_stub = {'name': 'task', 'properties': {
        k: v for k, v in _task_properties().items()
        if k not in ('input', 'result', 'message')}}
    documents = {'member': member, 'members': _minimal_collection('members', member),
                 'task': task, 'tasks': _minimal_collection('tasks', task_stub)}
    documents.update(('metadefs/%s' % name, document)
                     for name, document in metadef_schemas.documents().items())
    return documents


def load_custom_properties(conf):
    """The property definitions of ``schema-image.json``; ``{}`` if there is no file.

    :raises RuntimeError: the file is unreadable, not JSON, or not a mapping of
        property names to valid JSON schemas (the server must not start).
    """
    path = config.find_file(conf, SCHEMA_FILE)
    if path is None:
        LOG.warning('Could not find %s; the image schema has no custom properties.',
                    SCHEMA_FILE)
        return {}
    try:
        with open(path, encoding='utf-8') as f:
            properties = json.load(f)
    except (OSError, ValueError) as e:
        raise RuntimeError('Cannot load custom image properties from %s: %s' % (path, e))
    if not isinstance(properties, dict):
        raise RuntimeError('%s must hold a JSON object mapping property names to '
                           'schemas.' % path)
    for name, definition in properties.items():
        try:
            jsonschema.Draft4Validator.check_schema(definition)
        except jsonschema.SchemaError as e:
            raise RuntimeError('Invalid definition of custom image property %r in %s: %s'
                               % (name, path, e.message))
    return properties


def _merge(base, custom):
    conflicting = sorted(k for k in custom if k in base and custom[k] != base[k])
    if conflicting:
        raise RuntimeError('Custom image properties in %s conflict with base properties: '
                           '%s' % (SCHEMA_FILE, ', '.join(conflicting)))
    merged = dict(base)
    for name, definition in custom.items():
        if name not in base:
            # glanceclient tells base from custom properties by this flag only.
            merged[name] = dict(definition, is_base=False)
    return merged


class Schemas:
    """The v2 schema documents and the image checks made with them.

    Built once per worker (:meth:`from_conf`); immutable afterwards.

    :param disk_formats: allowed ``disk_format`` values (besides null).
    :param container_formats: allowed ``container_format`` values (besides null).
    :param custom_properties: definitions from ``schema-image.json`` (name → schema).
    :param allow_additional_properties: whether images may carry undefined (string)
        properties.
    :raises RuntimeError: a custom definition differs from a base property's.
    """

    def __init__(self, disk_formats, container_formats, custom_properties=None,
                 allow_additional_properties=True):
        self._properties = _merge(base_image_properties(disk_formats, container_formats),
                                  custom_properties or {})
        self._allow_additional = allow_additional_properties
        image = {'name': 'image', 'properties': self._properties}
        if allow_additional_properties:
            image['additionalProperties'] = {'type': 'string'}
            image['links'] = _image_links()
        else:
            image['additionalProperties'] = False
        images = {'name': 'images',
                  'properties': {'images': {'type': 'array', 'items': image},
                                 'first': {'type': 'string'},
                                 'next': {'type': 'string'},
                                 'schema': {'type': 'string'}},
                  'links': [{'rel': 'first', 'href': '{first}'},
                            {'rel': 'next', 'href': '{next}'},
                            {'rel': 'describedby', 'href': '{schema}'}]}
        self._documents = dict(_fixed_documents(), image=image, images=images)
        self._image_validator = jsonschema.Draft4Validator(image)

    @classmethod
    def from_conf(cls, conf):
        """Schemas for a parsed ``conf`` (``schema-image.json`` is looked for beside the
        config files, then in the config search dirs)."""
        return cls(conf.image_format.disk_formats, conf.image_format.container_formats,
                   load_custom_properties(conf), conf.allow_additional_image_properties)

    def document(self, name):
        """A fresh copy of the document served at ``/v2/schemas/<name>``, or None.

        :param name: e.g. ``'image'``, ``'members'``, ``'metadefs/namespace'``.
        """
        document = self._documents.get(name)
        return copy.deepcopy(document) if document is not None else None

    def is_base(self, name):
        """Whether ``name`` is a base image property (not a custom or extra one)."""
        return name in BASE_PROPERTIES

    def validate_image(self, image):
        """Check a v2 image dict (whole or partial) against the image schema.

        :raises exception.Invalid: with jsonschema's explanation of the worst error.
        """
        error = jsonschema.exceptions.best_match(self._image_validator.iter_errors(image))
        if error is not None:
            raise exception.Invalid("Provided object does not match schema 'image': %s"
                                    % error.message)

    def check_create_body(self, body):
        """The accepted body of ``POST /v2/images`` (a new dict).

        Policy, ownership and quotas are the caller's business.

        :param body: the parsed JSON body, None when the request had none.
        :raises exception.Invalid: no body, not an object, or a schema violation.
        :raises exception.Forbidden: a read-only or reserved key.
        """
        if body is None:
            raise exception.Invalid('Body expected in request.')
        if not isinstance(body, dict):
            raise exception.Invalid('Request body must be a JSON object.')
        for key in body:
            if key in READ_ONLY:
                raise exception.Forbidden("Attribute '%s' is read-only." % key)
            if key in RESERVED_ON_CREATE:
                raise exception.Forbidden("Attribute '%s' is reserved." % key)
        self.validate_image(body)
        return dict(body)

    def filter_image(self, view):
        """``view`` minus keys the schema does not define, when additional properties
        are disallowed; otherwise ``view`` itself."""
        if self._allow_additional:
            return view
        return {k: v for k, v in view.items() if k in self._properties}
