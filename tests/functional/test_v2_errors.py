"""Every error case of Images API v2 (api-v2.md §2, §4–§8) over raw HTTP against real
glance-api + glance-registry processes: the status code, the message where the spec
gives one, and never a traceback in a response body.

Callers are told apart with identity headers: both services run ``trusted-auth`` (the api
forwards each caller's identity to the registry), anonymous callers get a read-only
context.  The main deployment has small quotas, a 1 MiB size cap and property
protections and hides locations; a second one shows locations (with a storage quota and
a local HTTP source for http locations).
"""
import json
import os
import resource
import shutil
import socket
import uuid

import pytest
import requests

from tests.functional import deployment, fixtures, httpsource

V21 = 'application/openstack-images-v2.1-json-patch'
V20 = 'application/openstack-images-v2.0-json-patch'
OCTETS = {'Content-Type': 'application/octet-stream'}
CAP = 1024 * 1024
DATA = os.urandom(10000)
REMOTE = os.urandom(500)

PROTECTIONS = """\
[^x_admin_]
create = admin
read = admin
update = admin
delete = admin
[.*]
create = @
read = @
update = @
delete = @
"""


def who(project, roles='member'):
    return {'X-Identity-Status': 'Confirmed', 'X-Tenant-Id': project,
            'X-User-Id': 'user-' + project, 'X-Roles': roles}


ALICE, BOB, CAROL, DORA = who('alice'), who('bob'), who('carol'), who('dora')
ADMIN = who('ops', roles='admin')
ANONYMOUS = {}


def trusted(extra_api=None):
    return dict(flavor='trusted-auth', registry_flavor='trusted-auth',
                api_conf=fixtures.merge_sections(
                    {'DEFAULT': {'send_identity_headers': 'True'}}, extra_api))


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    workdir = tmp_path_factory.mktemp('v2errors')
    rules = workdir / 'property-protections.conf'
    rules.write_text(PROTECTIONS)
    # found beside the config file, as Glance finds it beside glance-api.conf
    shutil.copy(os.path.join(deployment.REPO_ETC, 'schema-image.json'), workdir)
    d = deployment.Deployment(workdir, **trusted({'DEFAULT': {
        'allow_anonymous_access': 'True', 'image_size_cap': str(CAP),
        'image_property_quota': '5', 'image_tag_quota': '3', 'image_member_quota': '2',
        'property_protection_file': str(rules),
        'property_protection_rule_format': 'roles'}}))
    with d:
        yield d


@pytest.fixture(scope='module')
def source():
    with httpsource.SourceServer({'/one.img': REMOTE, '/two.img': REMOTE,
                                  '/three.img': REMOTE, '/vanishing.img': REMOTE}) as s:
        yield s


@pytest.fixture(scope='module')
def dying_source():
    """An HTTP source a test stops, to make a remote store unavailable."""
    server = httpsource.SourceServer({'/soon-gone.img': REMOTE}).__enter__()
    yield server
    server.__exit__()


@pytest.fixture(scope='module')
def dep2(tmp_path_factory, source, dying_source):
    d = deployment.Deployment(tmp_path_factory.mktemp('v2errors-locations'), **trusted({
        'DEFAULT': {'show_multiple_locations': 'True', 'image_location_quota': '2',
                    'user_storage_quota': '15KB', 'delayed_delete': 'True'},
        'import_filtering_opts': {'allowed_hosts': '127.0.0.1',
                                  'allowed_ports': '%d,%d' % (source.port,
                                                              dying_source.port)}}))
    with d:
        yield d


# -- helpers --------------------------------------------------------------------------

def call(dep, method, path, caller=ALICE, headers=None, **kwargs):
    kwargs.setdefault('timeout', 30)
    return requests.request(method, dep.url + path, headers={**caller, **(headers or {})},
                            **kwargs)


def expect(resp, status, message=None):
    """The response has ``status``, contains ``message`` and no traceback."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert 'Traceback' not in resp.text
    if message is not None:
        assert message in resp.text, resp.text
    return resp


def new_image(dep, caller=ALICE, **fields):
    fields.setdefault('disk_format', 'raw')
    fields.setdefault('container_format', 'bare')
    resp = call(dep, 'POST', '/v2/images', caller, json=fields)
    return expect(resp, 201).json()


def active_image(dep, caller=ALICE, data=DATA, **fields):
    image = new_image(dep, caller, **fields)
    expect(call(dep, 'PUT', '/v2/images/%s/file' % image['id'], caller, headers=OCTETS,
                data=data), 204)
    return image


def show(dep, image_id, caller=ALICE):
    return expect(call(dep, 'GET', '/v2/images/' + image_id, caller), 200).json()


def patch(dep, image_id, ops, caller=ALICE, media=V21):
    return call(dep, 'PATCH', '/v2/images/' + image_id, caller,
                headers={'Content-Type': media}, data=json.dumps(ops))


def chunks(data, size=65536):
    for i in range(0, len(data), size):
        yield data[i:i + size]


@pytest.fixture(scope='module')
def admins_public(dep):
    """A queued public image of the admin's: everyone sees it, only admins change it."""
    return new_image(dep, ADMIN, name='admins-public', visibility='public')


# -- §2 conventions ---------------------------------------------------------------------

def test_anonymous_callers_are_read_only(dep):
    expect(call(dep, 'GET', '/v2/images', ANONYMOUS), 200)
    expect(call(dep, 'POST', '/v2/images', ANONYMOUS, json={'name': 'x'}), 403,
           'Read-only access')


def test_request_id_is_echoed_and_capped(dep):
    resp = expect(call(dep, 'GET', '/v2/images/%s' % uuid.uuid4()), 404)
    assert resp.headers['x-openstack-request-id'].startswith('req-')
    resp = call(dep, 'GET', '/v2/images', headers={'X-Openstack-Request-Id': 'req-mine'})
    assert resp.headers['x-openstack-request-id'] == 'req-mine'
    expect(call(dep, 'GET', '/v2/images', headers={'X-Openstack-Request-Id': 'r' * 65}),
           431)


@pytest.mark.parametrize('method, path', [
    ('POST', '/v2/images/{id}/actions/deactivate'),
    ('POST', '/v2/images/{id}/actions/reactivate'),
    ('PUT', '/v2/images/{id}/tags/some-tag'),
])
def test_routes_without_body_refuse_one(dep, method, path):
    image = new_image(dep)
    expect(call(dep, method, path.format(id=image['id']), data=b'{"a": 1}',
                headers={'Content-Type': 'application/json'}),
           400, 'A body is not expected with this request.')


@pytest.mark.parametrize('method, path, allowed', [
    ('PUT', '/v2/images', {'GET', 'POST'}),
    ('POST', '/v2/images/{id}', {'GET', 'PATCH', 'DELETE'}),
    ('GET', '/v2/images/{id}/actions/deactivate', {'POST'}),
    ('DELETE', '/v2/images/{id}/file', {'GET', 'PUT'}),
    ('GET', '/v2/images/{id}/tags/t', {'PUT', 'DELETE'}),
    ('PATCH', '/v2/images/{id}/members', {'GET', 'POST'}),
    ('POST', '/v2/images/{id}/members/bob', {'GET', 'PUT', 'DELETE'}),
    ('DELETE', '/v2/schemas/image', {'GET'}),
])
def test_wrong_method_is_405_with_allow(dep, method, path, allowed):
    resp = expect(call(dep, method, path.format(id=uuid.uuid4())), 405)
    assert {m.strip() for m in resp.headers['Allow'].split(',')} >= allowed


def test_unknown_path_and_verb(dep):
    expect(call(dep, 'GET', '/v2/nothing-here'), 404)
    expect(call(dep, 'GET', '/v2/images/%s/nothing' % uuid.uuid4()), 404)
    expect(call(dep, 'BREW', '/v2/images'), 501)


@pytest.mark.parametrize('body', [b'{"name": ', b'not json', b'{"a": 1,}'])
def test_malformed_json_is_400(dep, body):
    expect(call(dep, 'POST', '/v2/images', data=body,
                headers={'Content-Type': 'application/json'}),
           400, 'Malformed JSON in request body')


@pytest.mark.parametrize('body', [b'[]', b'"cirros"', b'42', b'null'])
def test_create_body_must_be_an_object(dep, body):
    expect(call(dep, 'POST', '/v2/images', data=body,
                headers={'Content-Type': 'application/json'}), 400)


# -- §4.1 create ------------------------------------------------------------------------

def test_create_without_body(dep):
    expect(call(dep, 'POST', '/v2/images'), 400, 'Body expected in request.')


@pytest.mark.parametrize('key, value', [
    ('direct_url', 'http://x/y'), ('self', '/v2/images/x'), ('file', '/v2/images/x/file'),
    ('schema', '/v2/schemas/image'), ('created_at', '2020-01-01T00:00:00Z'),
    ('updated_at', '2020-01-01T00:00:00Z'), ('status', 'active'),
    ('checksum', '0' * 32), ('os_hash_algo', 'sha512'), ('os_hash_value', '0' * 128),
    ('size', 5), ('virtual_size', 5),
])
def test_create_with_read_only_attribute(dep, key, value):
    expect(call(dep, 'POST', '/v2/images', json={'name': 'ro', key: value}),
           403, "Attribute '%s' is read-only." % key)


@pytest.mark.parametrize('key, value', [
    ('locations', []), ('deleted', False), ('deleted_at', '2020-01-01T00:00:00Z')])
def test_create_with_reserved_attribute(dep, key, value):
    expect(call(dep, 'POST', '/v2/images', json={'name': 'rsv', key: value}),
           403, "Attribute '%s' is reserved." % key)


def test_location_is_a_plain_custom_property_on_create(dep):
    image = new_image(dep, name='loc-prop', location='somewhere')
    assert image['location'] == 'somewhere'


@pytest.mark.parametrize('body', [
    {'name': 'n' * 256},
    {'visibility': 'everyone'},
    {'disk_format': 'floppy'},
    {'container_format': 'crate'},
    {'protected': 'yes'},
    {'os_hidden': 'no'},
    {'id': 'not-a-uuid'},
    {'tags': 'red'},
    {'tags': ['t' * 256]},
    {'min_ram': 'lots'},
    {'min_ram': -1},
    {'min_disk': -5},
    {'custom': 7},
    {'k' * 256: 'long key'},
    {'kernel_id': 'not-a-uuid'},
])
def test_create_with_invalid_value_is_400(dep, body):
    expect(call(dep, 'POST', '/v2/images', json=body), 400)


def test_create_for_another_owner(dep):
    expect(call(dep, 'POST', '/v2/images', json={'owner': 'bob'}), 403,
           "You are not permitted to create images owned by 'bob'.")
    assert new_image(dep, ADMIN, owner='bob')['owner'] == 'bob'


def test_create_public_needs_admin(dep):
    expect(call(dep, 'POST', '/v2/images', json={'visibility': 'public'}), 403)
    # communitize_image is open to everyone in the shipped policy
    assert new_image(dep, visibility='community')['visibility'] == 'community'


def test_create_with_duplicate_id(dep):
    image_id = str(uuid.uuid4())
    new_image(dep, id=image_id)
    expect(call(dep, 'POST', '/v2/images', json={'id': image_id}), 409)
    expect(call(dep, 'POST', '/v2/images', BOB, json={'id': image_id}), 409)


def test_create_over_property_and_tag_quotas(dep):
    props = {'p%d' % i: 'v' for i in range(6)}
    expect(call(dep, 'POST', '/v2/images', json=props), 413)
    del props['p5']
    new_image(dep, **props)
    expect(call(dep, 'POST', '/v2/images', json={'tags': ['a', 'b', 'c', 'd']}), 413)
    new_image(dep, tags=['a', 'b', 'c'])


def test_create_with_protected_property(dep):
    expect(call(dep, 'POST', '/v2/images', json={'x_admin_secret': 's'}), 403)
    image = new_image(dep, ADMIN, owner='alice', x_admin_secret='s', note='n')
    assert image['x_admin_secret'] == 's'
    seen_by_alice = show(dep, image['id'])
    assert 'x_admin_secret' not in seen_by_alice and seen_by_alice['note'] == 'n'
    expect(patch(dep, image['id'], [{'op': 'replace', 'path': '/x_admin_secret',
                                     'value': 't'}]), 403)
    expect(patch(dep, image['id'], [{'op': 'remove', 'path': '/x_admin_secret'}]), 403)
    expect(patch(dep, image['id'], [{'op': 'add', 'path': '/x_admin_other',
                                     'value': 't'}]), 403)
    assert show(dep, image['id'], ADMIN)['x_admin_secret'] == 's'


# -- §4.2 list --------------------------------------------------------------------------

@pytest.mark.parametrize('params, message', [
    ({'limit': 'ten'}, 'limit param must be an integer'),
    ({'limit': '-1'}, 'limit param must be positive'),
    ({'marker': str(uuid.uuid4())}, None),
    ({'sort_key': 'owner'}, 'Invalid sort key: owner. It must be one of the following:'),
    ({'sort_dir': 'sideways'}, 'Invalid sort direction: sideways'),
    ({'sort_key': ['name', 'size', 'id'], 'sort_dir': ['asc', 'desc']}, None),
    ({'sort': 'name:asc', 'sort_key': 'name'},
     'Old and new sorting syntax cannot be combined'),
    ({'sort': 'owner:asc'}, 'Invalid sort key'),
    ({'sort': 'name:sideways'}, 'Invalid sort direction'),
    ({'visibility': 'everyone'}, None),
    ({'member_status': 'maybe'}, None),
    ({'size_min': 'big'}, None),
    ({'size_max': '1.5'}, None),
    ({'created_at': 'gt:not-a-time'}, None),
    ({'updated_at': 'around:2020-01-01T00:00:00Z'}, None),
    ({'protected': 'maybe'}, "Invalid value 'maybe' for 'protected' filter."),
    ({'changes-since': '2020-01-01T00:00:00Z'},
     'The "changes-since" filter is no longer available on v2.'),
])
def test_bad_list_parameters_are_400(dep, params, message):
    expect(call(dep, 'GET', '/v2/images', params=params), 400, message)


def test_list_marker_of_an_invisible_image_is_400_like_an_unknown_one(dep):
    # Glance answers 403 here, telling Bob the private image exists; we answer as for
    # an id that does not exist.
    hidden_from_bob = new_image(dep, name='alice-private', visibility='private')
    unknown = call(dep, 'GET', '/v2/images', BOB, params={'marker': str(uuid.uuid4())})
    invisible = call(dep, 'GET', '/v2/images', BOB,
                     params={'marker': hidden_from_bob['id']})
    expect(invisible, 400)
    assert (invisible.status_code, invisible.text) == (unknown.status_code, unknown.text)


# -- §4.3 show --------------------------------------------------------------------------

def test_show_missing_invisible_and_deleted_are_404(dep):
    expect(call(dep, 'GET', '/v2/images/%s' % uuid.uuid4()), 404)
    expect(call(dep, 'GET', '/v2/images/not-a-uuid'), 404)
    private = new_image(dep, visibility='private')
    expect(call(dep, 'GET', '/v2/images/' + private['id'], BOB), 404)
    shared = new_image(dep)
    expect(call(dep, 'GET', '/v2/images/' + shared['id'], BOB), 404)
    expect(call(dep, 'DELETE', '/v2/images/' + private['id']), 204)
    expect(call(dep, 'GET', '/v2/images/' + private['id']), 404)
    expect(call(dep, 'GET', '/v2/images/' + private['id'], ADMIN), 404)


# -- §4.4 update ------------------------------------------------------------------------

@pytest.mark.parametrize('content_type', ['application/json', 'application/json-patch+json',
                                          'text/plain', None])
def test_patch_with_wrong_media_type_is_415(dep, content_type):
    image = new_image(dep)
    headers = {'Content-Type': content_type} if content_type else {}
    resp = expect(call(dep, 'PATCH', '/v2/images/' + image['id'], headers=headers,
                       data=json.dumps([{'op': 'replace', 'path': '/name', 'value': 'x'}])),
                  415)
    accept = {t.strip() for t in resp.headers['Accept-Patch'].split(',')}
    assert accept == {V20, V21}


@pytest.mark.parametrize('body, message', [
    ({'op': 'replace', 'path': '/name', 'value': 'x'},
     'Request body must be a JSON array of operation objects.'),
    ('replace', 'Request body must be a JSON array of operation objects.'),
    (['replace'], 'Operations must be JSON objects.'),
    ([{'path': '/name', 'value': 'x'}], None),
    ([{'op': 'move', 'path': '/name', 'value': 'x'}], None),
    ([{'op': 'replace', 'value': 'x'}], None),
    ([{'op': 'replace', 'path': 'name', 'value': 'x'}], None),
    ([{'op': 'replace', 'path': '//name', 'value': 'x'}], None),
    ([{'op': 'replace', 'path': '/name/', 'value': 'x'}], None),
    ([{'op': 'replace', 'path': '/na~2me', 'value': 'x'}], None),
    ([{'op': 'replace', 'path': '/name/first', 'value': 'x'}], None),
    ([{'op': 'replace', 'path': '/name'}],
     'Operation "replace" requires a member named "value".'),
    ([{'op': 'add', 'path': '/color'}], 'Operation "add" requires a member named "value".'),
    ([{'op': 'replace', 'path': '/min_ram', 'value': -1}], None),
    ([{'op': 'replace', 'path': '/min_ram', 'value': 'lots'}], None),
    ([{'op': 'replace', 'path': '/visibility', 'value': 'everyone'}], None),
    ([{'op': 'replace', 'path': '/name', 'value': 'n' * 256}], None),
    ([{'op': 'add', 'path': '/color', 'value': 5}], None),
    ([{'op': 'replace', 'path': '/protected', 'value': 'yes'}], None),
    ([{'op': 'replace', 'path': '/tags', 'value': 'red'}], None),
])
def test_bad_v21_patch_documents_are_400(dep, body, message):
    image = new_image(dep, name='unchanged')
    expect(patch(dep, image['id'], body), 400, message)
    assert show(dep, image['id'])['name'] == 'unchanged'


@pytest.mark.parametrize('body', [
    [{'add': '/color', 'replace': '/color', 'value': 'x'}],
    [{'path': '/color', 'value': 'x'}],
    [{'op': 'add', 'path': '/color', 'value': 'x'}],
])
def test_bad_v20_patch_documents_are_400(dep, body):
    image = new_image(dep)
    expect(patch(dep, image['id'], body, media=V20), 400)


@pytest.mark.parametrize('key, value', [
    ('created_at', '2020-01-01T00:00:00Z'), ('updated_at', '2020-01-01T00:00:00Z'),
    ('status', 'active'), ('checksum', '0' * 32), ('size', 5), ('virtual_size', 5),
    ('direct_url', 'http://x/y'), ('self', '/v2/images/x'), ('file', '/x'),
    ('schema', '/v2/schemas/image'), ('id', str(uuid.uuid4())),
    ('os_hash_algo', 'sha512'), ('os_hash_value', '0' * 128),
])
@pytest.mark.parametrize('caller', [ALICE, ADMIN], ids=['owner', 'admin'])
def test_patch_read_only_attribute_is_403(dep, key, value, caller):
    image = new_image(dep)
    expect(patch(dep, image['id'], [{'op': 'replace', 'path': '/' + key, 'value': value}],
                 caller), 403, "Attribute '%s' is read-only." % key)


@pytest.mark.parametrize('key', ['location', 'deleted', 'deleted_at'])
def test_patch_reserved_attribute_is_403(dep, key):
    image = new_image(dep)
    expect(patch(dep, image['id'], [{'op': 'add', 'path': '/' + key, 'value': 'x'}]),
           403, "Attribute '%s' is reserved." % key)


def test_patch_semantics_errors(dep):
    image = new_image(dep, color='red')
    path = image['id']
    expect(patch(dep, path, [{'op': 'replace', 'path': '/owner', 'value': 'bob'}]),
           403, "Owner can't be updated by non admin.")
    expect(patch(dep, path, [{'op': 'replace', 'path': '/shape', 'value': 'x'}]),
           409, 'Property shape does not exist.')
    expect(patch(dep, path, [{'op': 'remove', 'path': '/shape'}]),
           409, 'Property shape does not exist.')
    expect(patch(dep, path, [{'add': '/color', 'value': 'blue'}], media=V20),
           409, 'Property color already present.')
    expect(patch(dep, path, [{'op': 'remove', 'path': '/name'}]),
           403, 'Property name may not be removed.')
    expect(patch(dep, path, [{'op': 'replace', 'path': '/visibility', 'value': 'public'}]),
           403)
    # one bad operation aborts the whole request
    expect(patch(dep, path, [{'op': 'replace', 'path': '/color', 'value': 'green'},
                             {'op': 'replace', 'path': '/shape', 'value': 'x'}]), 409)
    assert show(dep, path)['color'] == 'red'
    # v2.1 add overwrites
    expect(patch(dep, path, [{'op': 'add', 'path': '/color', 'value': 'blue'}]), 200)


def test_patch_formats_of_an_active_image(dep):
    image = active_image(dep)
    for key, value in (('disk_format', 'qcow2'), ('container_format', 'ovf')):
        expect(patch(dep, image['id'], [{'op': 'replace', 'path': '/' + key,
                                         'value': value}]),
               403, 'Attribute %s can be only replaced for a queued image.' % key)


def test_patch_image_of_someone_else(dep, admins_public):
    expect(patch(dep, admins_public['id'], [{'op': 'replace', 'path': '/name',
                                             'value': 'mine'}]),
           403, "You are not permitted to modify 'name' on this image.")
    private = new_image(dep, visibility='private')
    expect(patch(dep, private['id'], [{'op': 'replace', 'path': '/name', 'value': 'x'}],
                 BOB), 404)


def test_patch_over_quotas(dep):
    image = new_image(dep, **{'p%d' % i: 'v' for i in range(5)})
    expect(patch(dep, image['id'], [{'op': 'add', 'path': '/p5', 'value': 'v'}]), 413)
    expect(patch(dep, image['id'], [{'op': 'replace', 'path': '/tags',
                                     'value': ['a', 'b', 'c', 'd']}]), 413)


@pytest.mark.parametrize('ops', [
    [{'op': 'add', 'path': '/locations/-', 'value': {'url': 'http://x/y', 'metadata': {}}}],
    [{'op': 'replace', 'path': '/locations', 'value': []}],
    [{'op': 'remove', 'path': '/locations/0'}],
])
def test_location_changes_while_locations_are_invisible(dep, ops):
    image = new_image(dep)
    expect(patch(dep, image['id'], ops, ADMIN), 403,
           "It's not allowed to add/update/remove locations if locations are invisible.")


# -- §4.4 locations (deployment showing them) ------------------------------------------

def add_location(dep, image_id, url, caller=ADMIN, **extra):
    return patch(dep, image_id, [{'op': 'add', 'path': '/locations/-',
                                  'value': dict({'url': url, 'metadata': {}}, **extra)}],
                 caller)


def test_location_added_to_a_queued_image_activates_it(dep2, source):
    image = new_image(dep2, ADMIN)
    resp = expect(add_location(dep2, image['id'], source.url('/one.img')), 200).json()
    assert resp['status'] == 'active' and resp['size'] == len(REMOTE)
    assert call(dep2, 'GET', '/v2/images/%s/file' % image['id'], ADMIN).content == REMOTE


def test_location_added_to_an_uploaded_image(dep2, source):
    image = active_image(dep2, ADMIN, data=REMOTE)
    # The existing file location is not re-checked as if it were an external source.
    expect(add_location(dep2, image['id'], source.url('/one.img')), 200)
    assert len(show(dep2, image['id'], ADMIN)['locations']) == 2


def test_location_policy_and_uri_checks(dep2, source):
    image = new_image(dep2)
    expect(add_location(dep2, image['id'], source.url('/one.img'), caller=ALICE), 403)
    image = new_image(dep2, ADMIN)
    for url in ('nope://x/y', 'file:///etc/passwd', 'filesystem:///etc/passwd',
                'http://127.0.0.1:%d/x' % fixtures.free_port()):
        resp = add_location(dep2, image['id'], url)
        assert resp.status_code in (400, 403), (url, resp.status_code, resp.text)
        assert 'Traceback' not in resp.text
    assert show(dep2, image['id'], ADMIN)['status'] == 'queued'
    expect(add_location(dep2, image['id'], source.url('/one.img')), 200)
    expect(add_location(dep2, image['id'], source.url('/one.img')), 400)


def test_location_removal_rules(dep2, source):
    image = new_image(dep2, ADMIN)
    expect(add_location(dep2, image['id'], source.url('/one.img')), 200)
    expect(patch(dep2, image['id'], [{'op': 'replace', 'path': '/locations', 'value': []}],
                 ADMIN), 403, 'Cannot set locations to empty list.')
    expect(patch(dep2, image['id'], [{'op': 'remove', 'path': '/locations/0'}], ADMIN),
           403, 'Cannot remove last location in the image.')
    expect(add_location(dep2, image['id'], source.url('/two.img')), 200)
    expect(add_location(dep2, image['id'], source.url('/three.img')), 413)
    expect(patch(dep2, image['id'], [{'op': 'remove', 'path': '/locations/5'}], ADMIN), 400)

    expect(call(dep2, 'POST', '/v2/images/%s/actions/deactivate' % image['id'], ADMIN), 204)
    expect(add_location(dep2, image['id'], source.url('/three.img')), 409)
    expect(patch(dep2, image['id'], [{'op': 'remove', 'path': '/locations/0'}], ADMIN), 409)
    expect(call(dep2, 'POST', '/v2/images/%s/actions/reactivate' % image['id'], ADMIN), 204)
    expect(patch(dep2, image['id'], [{'op': 'remove', 'path': '/locations/0'}], ADMIN), 200)
    urls = [loc['url'] for loc in show(dep2, image['id'], ADMIN)['locations']]
    assert urls == [source.url('/two.img')]


def test_location_validation_data(dep2, source):
    url = source.url('/one.img')
    good = {'checksum': '0' * 32, 'os_hash_algo': 'sha512', 'os_hash_value': 'a' * 128}
    image = new_image(dep2, ADMIN)
    expect(add_location(dep2, image['id'], url,
                        validation_data=dict(good, os_hash_algo='md5')), 409)
    expect(add_location(dep2, image['id'], url,
                        validation_data=dict(good, os_hash_value='ab' * 10)), 409)
    expect(add_location(dep2, image['id'], url,
                        validation_data=dict(good, os_hash_value='zz' * 64)), 409)
    expect(add_location(dep2, image['id'], url, validation_data={'checksum': '0' * 32}), 400)
    expect(add_location(dep2, image['id'], url, validation_data=dict(good, extra='x')), 400)
    assert show(dep2, image['id'], ADMIN)['status'] == 'queued'

    added = expect(add_location(dep2, image['id'], url, validation_data=good), 200).json()
    assert (added['checksum'], added['os_hash_algo'], added['os_hash_value']) == \
        (good['checksum'], good['os_hash_algo'], good['os_hash_value'])
    expect(add_location(dep2, image['id'], source.url('/two.img'),
                        validation_data=dict(good, checksum='1' * 32)), 409)


# -- §4.5 delete ------------------------------------------------------------------------

def test_delete_errors(dep, admins_public):
    expect(call(dep, 'DELETE', '/v2/images/%s' % uuid.uuid4()), 404)
    expect(call(dep, 'DELETE', '/v2/images/' + admins_public['id']), 403,
           'You are not permitted to delete this image.')
    private = new_image(dep, visibility='private')
    expect(call(dep, 'DELETE', '/v2/images/' + private['id'], BOB), 404)
    protected = new_image(dep, protected=True)
    expect(call(dep, 'DELETE', '/v2/images/' + protected['id']), 403)
    expect(call(dep, 'DELETE', '/v2/images/' + protected['id'], ADMIN), 403)
    assert show(dep, protected['id'])['status'] == 'queued'


def test_image_pending_delete_is_404(dep2, source):
    image = new_image(dep2, ADMIN)
    expect(add_location(dep2, image['id'], source.url('/one.img')), 200)
    expect(call(dep2, 'DELETE', '/v2/images/' + image['id'], ADMIN), 204)
    expect(call(dep2, 'GET', '/v2/images/' + image['id'], ADMIN), 404)
    expect(call(dep2, 'GET', '/v2/images/%s/file' % image['id'], ADMIN), 404)
    expect(call(dep2, 'DELETE', '/v2/images/' + image['id'], ADMIN), 404)
    listed = call(dep2, 'GET', '/v2/images', ADMIN, params={'limit': 1000}).json()
    assert image['id'] not in [i['id'] for i in listed['images']]


# -- §4.6 deactivate / reactivate -------------------------------------------------------

def test_deactivate_and_reactivate_errors(dep, admins_public):
    queued = new_image(dep)
    base = '/v2/images/%s/actions/' % queued['id']
    expect(call(dep, 'POST', base + 'deactivate'), 403,
           "Not allowed to deactivate image in status 'queued'")
    expect(call(dep, 'POST', base + 'reactivate'), 403,
           "Not allowed to reactivate image in status 'queued'")
    expect(call(dep, 'POST', '/v2/images/%s/actions/deactivate' % uuid.uuid4()), 404)
    expect(call(dep, 'POST', '/v2/images/%s/actions/deactivate' % admins_public['id']),
           403)

    image = active_image(dep)
    base = '/v2/images/%s/actions/' % image['id']
    expect(call(dep, 'POST', base + 'reactivate'), 204)  # active: nothing to do
    expect(call(dep, 'POST', base + 'deactivate'), 204)
    expect(call(dep, 'GET', '/v2/images/%s/file' % image['id']), 403,
           'The requested image has been deactivated. Image data download is forbidden.')
    assert call(dep, 'GET', '/v2/images/%s/file' % image['id'], ADMIN).content == DATA
    expect(call(dep, 'PUT', '/v2/images/%s/file' % image['id'], headers=OCTETS,
                data=DATA), 409)


# -- §5.1 upload ------------------------------------------------------------------------

def test_upload_errors(dep, admins_public):
    image = new_image(dep)
    path = '/v2/images/%s/file' % image['id']
    expect(call(dep, 'PUT', path, data=DATA, headers={'Content-Type': 'application/json'}),
           415)
    expect(call(dep, 'PUT', path, data=DATA, headers={'Content-Type': 'text/plain'}), 415)
    expect(call(dep, 'PUT', '/v2/images/%s/file' % admins_public['id'], data=DATA,
                headers=OCTETS), 403, 'You are not permitted to upload data for this image.')
    expect(call(dep, 'PUT', '/v2/images/%s/file' % uuid.uuid4(), data=DATA,
                headers=OCTETS), 404)
    expect(call(dep, 'PUT', path, data=DATA, headers=OCTETS), 204)
    expect(call(dep, 'PUT', path, data=DATA, headers=OCTETS), 409)


def test_upload_without_formats_goes_back_to_queued(dep):
    image = expect(call(dep, 'POST', '/v2/images', json={'name': 'no-formats'}), 201).json()
    before = set(dep.stored_files())
    expect(call(dep, 'PUT', '/v2/images/%s/file' % image['id'], data=DATA, headers=OCTETS),
           400, 'Properties disk_format, container_format must be set prior to saving data.')
    shown = show(dep, image['id'])
    assert shown['status'] == 'queued' and shown['size'] is None
    assert set(dep.stored_files()) == before


@pytest.mark.parametrize('chunked', [False, True], ids=['sized', 'chunked'])
def test_upload_over_the_size_cap_is_413_and_keeps_nothing(dep, chunked):
    image = new_image(dep)
    before = set(dep.stored_files())
    data = os.urandom(CAP + 1)
    body = chunks(data) if chunked else data
    expect(call(dep, 'PUT', '/v2/images/%s/file' % image['id'], data=body,
                headers=OCTETS), 413, 'The incoming image is too large')
    shown = show(dep, image['id'])
    assert shown['status'] == 'queued'
    assert shown['size'] is None and shown['checksum'] is None
    assert set(dep.stored_files()) == before
    # the image can still take data that fits
    expect(call(dep, 'PUT', '/v2/images/%s/file' % image['id'], data=DATA,
                headers=OCTETS), 204)


def test_upload_to_a_full_store_is_413_and_keeps_nothing(dep):
    image = new_image(dep)
    before = set(dep.stored_files())
    limit = 128 * 1024
    hard_limit = resource.prlimit(dep.api.pid, resource.RLIMIT_FSIZE)[1]
    # The kernel refuses to grow any file of glance-api beyond the limit (EFBIG), the
    # same failure path as a full disk.  Only the soft limit changes, so that it can be
    # raised again without privileges.
    soft, hard = resource.prlimit(dep.api.pid, resource.RLIMIT_FSIZE, (limit, hard_limit))
    try:
        resp = call(dep, 'PUT', '/v2/images/%s/file' % image['id'],
                    data=os.urandom(2 * limit), headers=OCTETS)
    finally:
        resource.prlimit(dep.api.pid, resource.RLIMIT_FSIZE, (soft, hard))
    expect(resp, 413)
    assert show(dep, image['id'])['status'] == 'queued'
    assert set(dep.stored_files()) == before


def test_image_deleted_during_upload_is_410_and_keeps_nothing(dep):
    image = new_image(dep)
    before = set(dep.stored_files())
    total = 600 * 1024
    with socket.create_connection(('127.0.0.1', dep.api.port), timeout=30) as sock:
        head = ['PUT /v2/images/%s/file HTTP/1.1' % image['id'], 'Host: 127.0.0.1',
                'Content-Type: application/octet-stream', 'Content-Length: %d' % total]
        head += ['%s: %s' % item for item in ALICE.items()]
        sock.sendall(('\r\n'.join(head) + '\r\n\r\n').encode() + b'x' * (total // 2))
        fixtures.wait_for(lambda: show(dep, image['id'])['status'] == 'saving',
                          message='the upload to start')
        expect(call(dep, 'DELETE', '/v2/images/' + image['id']), 204)
        sock.sendall(b'x' * (total - total // 2))
        reply = sock.makefile('rb').readline().decode()
    assert reply.split()[1] == '410', reply
    fixtures.wait_for(lambda: set(dep.stored_files()) == before,
                      message='the uploaded bytes to be removed')
    expect(call(dep, 'GET', '/v2/images/' + image['id']), 404)


def test_upload_over_the_storage_quota_is_413(dep2):
    first = active_image(dep2, DORA, data=os.urandom(10 * 1024))
    assert show(dep2, first['id'], DORA)['status'] == 'active'
    second = new_image(dep2, DORA)
    expect(call(dep2, 'PUT', '/v2/images/%s/file' % second['id'], DORA,
                data=os.urandom(10 * 1024), headers=OCTETS), 413)
    assert show(dep2, second['id'], DORA)['status'] == 'queued'
    # another project has its own allowance
    active_image(dep2, CAROL, data=os.urandom(10 * 1024))


# -- §5.2 download ----------------------------------------------------------------------

def test_download_cases(dep):
    queued = new_image(dep)
    resp = expect(call(dep, 'GET', '/v2/images/%s/file' % queued['id']), 204)
    assert resp.content == b''
    expect(call(dep, 'GET', '/v2/images/%s/file' % uuid.uuid4()), 404)
    private = active_image(dep, visibility='private')
    expect(call(dep, 'GET', '/v2/images/%s/file' % private['id'], BOB), 404)

    resp = expect(call(dep, 'GET', '/v2/images/%s/file' % private['id']), 200)
    assert resp.content == DATA
    assert resp.headers['Content-Type'] == 'application/octet-stream'
    assert resp.headers['Content-Length'] == str(len(DATA))
    assert resp.headers['Content-MD5'] == show(dep, private['id'])['checksum']


@pytest.fixture(scope='module')
def ranged(dep):
    return active_image(dep, name='ranged')


@pytest.mark.parametrize('headers, status, first, last', [
    ({'Range': 'bytes=10-19'}, 206, 10, 19),
    ({'Range': 'bytes=9990-20000'}, 206, 9990, 9999),
    ({'Range': 'bytes=9995-'}, 206, 9995, 9999),
    ({'Range': 'bytes=-7'}, 206, 9993, 9999),
    ({'Content-Range': 'bytes 100-199/*'}, 206, 100, 199),
    ({'Range': 'bytes=0-1,5-6'}, 400, None, None),
    ({'Range': 'bytes=abc'}, 416, None, None),
    ({'Range': 'pages=1-2'}, 416, None, None),
    ({'Range': 'bytes=10000-'}, 416, None, None),
    ({'Range': 'bytes=20000-20010'}, 416, None, None),
    ({'Content-Range': 'bytes 0-20000/*'}, 416, None, None),
    ({'Content-Range': 'bytes 10000-10010/*'}, 416, None, None),
])
def test_download_ranges(dep, ranged, headers, status, first, last):
    resp = expect(call(dep, 'GET', '/v2/images/%s/file' % ranged['id'], headers=headers),
                  status)
    if status == 206:
        assert resp.content == DATA[first:last + 1]
        assert resp.headers['Content-Length'] == str(last + 1 - first)
        assert resp.headers['Content-Range'] == 'bytes %d-%d/%d' % (first, last, len(DATA))


def test_ranged_download_from_an_http_location_is_exact_or_refused(dep2, source):
    image = new_image(dep2, ADMIN)
    expect(add_location(dep2, image['id'], source.url('/two.img')), 200)
    resp = call(dep2, 'GET', '/v2/images/%s/file' % image['id'], ADMIN,
                headers={'Range': 'bytes=100-199'})
    # a store that cannot seek refuses (400); it never serves the wrong bytes
    assert resp.status_code in (206, 400), (resp.status_code, resp.text)
    if resp.status_code == 206:
        assert resp.content == REMOTE[100:200]


def test_download_with_the_stored_data_gone_is_204(dep):
    before = set(dep.stored_files())
    image = active_image(dep)
    [stored] = set(dep.stored_files()) - before
    os.remove(stored)
    expect(call(dep, 'GET', '/v2/images/%s/file' % image['id']), 204)


def test_download_from_an_unavailable_remote_store_is_503(dep2, dying_source):
    image = new_image(dep2, ADMIN)
    expect(add_location(dep2, image['id'], dying_source.url('/soon-gone.img')), 200)
    assert call(dep2, 'GET', '/v2/images/%s/file' % image['id'], ADMIN).content == REMOTE
    dying_source.__exit__()
    expect(call(dep2, 'GET', '/v2/images/%s/file' % image['id'], ADMIN), 503)


# -- §5.3 import discovery --------------------------------------------------------------

def test_import_discovery(dep):
    info = expect(call(dep, 'GET', '/v2/info/import'), 200).json()
    assert info['import-methods']['type'] == 'array'
    expect(call(dep, 'GET', '/v2/info/stores'), 404,
           'Multi backend is not supported at this site.')


# -- §6 tags ----------------------------------------------------------------------------

def test_tag_errors(dep, admins_public):
    image = new_image(dep)
    base = '/v2/images/%s/tags/' % image['id']
    expect(call(dep, 'PUT', base + 't' * 256), 400)
    expect(call(dep, 'DELETE', base + 'absent'), 404)
    expect(call(dep, 'PUT', '/v2/images/%s/tags/x' % uuid.uuid4()), 404)
    expect(call(dep, 'PUT', '/v2/images/%s/tags/mine' % admins_public['id']), 403)
    for tag in ('a', 'b', 'c'):
        expect(call(dep, 'PUT', base + tag), 204)
    expect(call(dep, 'PUT', base + 'a'), 204)  # a set: no new tag, no quota hit
    expect(call(dep, 'PUT', base + 'd'), 413)
    assert sorted(show(dep, image['id'])['tags']) == ['a', 'b', 'c']


# -- §7 members -------------------------------------------------------------------------

def members_of(image_id):
    return '/v2/images/%s/members' % image_id


def test_only_shared_images_have_members(dep):
    for visibility in ('private', 'public', 'community'):
        caller = ADMIN if visibility == 'public' else ALICE
        image = new_image(dep, caller, visibility=visibility)
        expect(call(dep, 'POST', members_of(image['id']), caller, json={'member': 'bob'}),
               403, 'Only shared images have members.')
        expect(call(dep, 'GET', members_of(image['id']), caller), 403,
               'Only shared images have members.')


def test_member_create_errors(dep):
    image = new_image(dep)
    path = members_of(image['id'])
    expect(call(dep, 'POST', path, json={}), 400, 'Member to be added not specified')
    expect(call(dep, 'POST', path, json={'member': ''}), 400, "Member can't be empty")
    expect(call(dep, 'POST', path), 400)
    resp = expect(call(dep, 'POST', path, json={'member': 'bob'}), 200).json()
    assert resp['status'] == 'pending' and resp['member_id'] == 'bob'
    expect(call(dep, 'POST', path, json={'member': 'bob'}), 409)
    expect(call(dep, 'POST', path, BOB, json={'member': 'carol'}), 403,
           'Not allowed to create members for image %s.' % image['id'])
    expect(call(dep, 'POST', path, json={'member': 'carol'}), 200)
    expect(call(dep, 'POST', path, json={'member': 'dora'}), 413)
    expect(call(dep, 'POST', members_of(uuid.uuid4()), json={'member': 'bob'}), 404)


def test_member_read_update_delete_errors(dep):
    image = new_image(dep)
    path = members_of(image['id'])
    expect(call(dep, 'POST', path, json={'member': 'bob'}), 200)
    expect(call(dep, 'POST', path, json={'member': 'carol'}), 200)

    # a member sees only itself; anyone else does not see the image at all
    listed = expect(call(dep, 'GET', path, BOB), 200).json()['members']
    assert [m['member_id'] for m in listed] == ['bob']
    expect(call(dep, 'GET', path, DORA), 404)
    expect(call(dep, 'GET', path + '/carol', BOB), 404)
    expect(call(dep, 'GET', path + '/nobody'), 404)
    assert expect(call(dep, 'GET', path + '/bob', BOB), 200).json()['status'] == 'pending'

    expect(call(dep, 'PUT', path + '/bob', json={'status': 'accepted'}), 403,
           'Not allowed to update members for image %s.' % image['id'])
    expect(call(dep, 'PUT', path + '/carol', BOB, json={'status': 'accepted'}), 403)
    expect(call(dep, 'PUT', path + '/bob', BOB, json={'status': 'maybe'}), 400,
           'Incorrect request')
    expect(call(dep, 'PUT', path + '/bob', BOB, json={}), 400, 'Status not specified')
    expect(call(dep, 'PUT', path + '/bob', BOB, json={'status': 'accepted'}), 200)

    expect(call(dep, 'DELETE', path + '/carol', BOB), 403,
           'Not allowed to delete members for image %s.' % image['id'])
    expect(call(dep, 'DELETE', path + '/nobody'), 404,
           'nobody not found in the member list of the image %s.' % image['id'])
    expect(call(dep, 'DELETE', path + '/carol'), 204)


# -- §8 schemas -------------------------------------------------------------------------

@pytest.mark.parametrize('name', [
    'image', 'images', 'member', 'members', 'task', 'tasks',
    'metadefs/namespace', 'metadefs/namespaces', 'metadefs/resource_type',
    'metadefs/resource_types', 'metadefs/property', 'metadefs/properties',
    'metadefs/object', 'metadefs/objects', 'metadefs/tag', 'metadefs/tags',
])
def test_schemas_are_served(dep, name):
    resp = expect(call(dep, 'GET', '/v2/schemas/' + name, ANONYMOUS), 200)
    assert resp.headers['Content-Type'].startswith('application/json')
    assert isinstance(resp.json()['properties'], dict)
    if not name.startswith('metadefs/'):
        assert resp.json()['name'] == name


def test_unknown_schema_is_404(dep):
    expect(call(dep, 'GET', '/v2/schemas/nothing'), 404)
    expect(call(dep, 'GET', '/v2/schemas/metadefs/nothing'), 404)
