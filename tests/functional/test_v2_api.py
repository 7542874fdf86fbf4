"""Images API v2 through real processes: the life of an image, data and ranges,
sharing, tags, actions, quotas, locations, and v1/v2 seeing the same records.

api and registry run in trusted-auth mode so each request can say who is calling.
"""
import hashlib
import os

import pytest
import requests

from tests.functional import deployment, fixtures, httpsource

PATCH = 'application/openstack-images-v2.1-json-patch'
PAYLOAD = os.urandom(3 * 1024 * 1024 + 7)
REMOTE = os.urandom(200 * 1024)


def who(tenant, roles='member'):
    return {'X-Identity-Status': 'Confirmed', 'X-Tenant-Id': tenant,
            'X-User-Id': 'user-' + tenant, 'X-Roles': roles}


ALICE, BOB, CAROL, ADMIN = who('alice'), who('bob'), who('carol'), who('ops', 'admin')


@pytest.fixture(scope='module')
def source():
    with httpsource.SourceServer({'/remote.img': REMOTE}) as server:
        yield server


@pytest.fixture(scope='module')
def dep(tmp_path_factory, source):
    api_conf = fixtures.merge_sections(deployment.fetching_from(source), {'DEFAULT': {
        'send_identity_headers': 'True', 'show_multiple_locations': 'True',
        'show_image_direct_url': 'True', 'image_tag_quota': '3',
        'user_storage_quota': '5MB'}})
    with deployment.Deployment(tmp_path_factory.mktemp('v2'), flavor='trusted-auth',
                               registry_flavor='trusted-auth', api_conf=api_conf) as d:
        yield d


class Client:
    def __init__(self, dep, caller):
        self.base = dep.url + '/v2'
        self.caller = caller

    def call(self, method, path, **kwargs):
        headers = {**self.caller, **kwargs.pop('headers', {})}
        return requests.request(method, self.base + path, headers=headers, **kwargs)

    def create(self, **body):
        body.setdefault('disk_format', 'raw')
        body.setdefault('container_format', 'bare')
        resp = self.call('POST', '/images', json=body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def patch(self, image_id, *ops):
        return self.call('PATCH', '/images/%s' % image_id, json=list(ops),
                         headers={'Content-Type': PATCH})

    def upload(self, image_id, data):
        return self.call('PUT', '/images/%s/file' % image_id, data=data,
                         headers={'Content-Type': 'application/octet-stream'})

    def show(self, image_id):
        return self.call('GET', '/images/%s' % image_id)

    def ids(self, **params):
        return [i['id'] for i in self.call('GET', '/images', params=params).json()['images']]


@pytest.fixture
def alice(dep):
    return Client(dep, ALICE)


@pytest.fixture
def bob(dep):
    return Client(dep, BOB)


@pytest.fixture
def admin(dep):
    return Client(dep, ADMIN)


def test_create_upload_download_and_delete(dep, alice):
    image = alice.create(name='cirros', hw_disk_bus='scsi', tags=['a', 'b'])
    assert image['status'] == 'queued' and image['visibility'] == 'shared'
    assert image['owner'] == 'alice' and image['size'] is None
    assert image['hw_disk_bus'] == 'scsi' and sorted(image['tags']) == ['a', 'b']
    assert image['self'] == '/v2/images/%s' % image['id']
    assert alice.call('GET', '/images/%s/file' % image['id']).status_code == 204

    # Chunked, as glanceclient sends it.
    resp = alice.upload(image['id'], iter([PAYLOAD[:1000000], PAYLOAD[1000000:]]))
    assert resp.status_code == 204, resp.text
    shown = alice.show(image['id']).json()
    assert shown['status'] == 'active' and shown['size'] == len(PAYLOAD)
    assert shown['checksum'] == hashlib.md5(PAYLOAD).hexdigest()
    assert shown['os_hash_algo'] == 'sha512'
    assert shown['os_hash_value'] == hashlib.sha512(PAYLOAD).hexdigest()
    assert shown['direct_url'].startswith('file://')
    assert [loc['url'] for loc in shown['locations']] == [shown['direct_url']]

    resp = alice.call('GET', '/images/%s/file' % image['id'])
    assert resp.status_code == 200 and resp.content == PAYLOAD
    assert resp.headers['Content-MD5'] == shown['checksum']
    resp = alice.call('GET', '/images/%s/file' % image['id'], headers={'Range': 'bytes=10-19'})
    assert resp.status_code == 206 and resp.content == PAYLOAD[10:20]
    assert resp.headers['Content-Range'] == 'bytes 10-19/%d' % len(PAYLOAD)
    resp = alice.call('GET', '/images/%s/file' % image['id'], headers={'Range': 'bytes=-5'})
    assert resp.content == PAYLOAD[-5:]
    resp = alice.call('GET', '/images/%s/file' % image['id'],
                      headers={'Range': 'bytes=%d-' % len(PAYLOAD)})
    assert resp.status_code == 416

    assert alice.upload(image['id'], b'again').status_code == 409
    assert alice.call('DELETE', '/images/%s' % image['id']).status_code == 204
    assert alice.show(image['id']).status_code == 404
    assert not dep.stored_files()


def test_failed_upload_returns_to_queued_with_no_data(dep, alice):
    image = alice.create(name='too-big')
    resp = alice.upload(image['id'], os.urandom(6 * 1024 * 1024))  # quota is 5MB
    assert resp.status_code == 413, resp.text
    shown = alice.show(image['id']).json()
    assert (shown['status'], shown['size'], shown['checksum']) == ('queued', None, None)
    assert not dep.stored_files()
    unformatted = alice.call('POST', '/images', json={'name': 'no-format'}).json()
    resp = alice.upload(unformatted['id'], b'data')
    assert resp.status_code == 400 and 'must be set prior to saving data' in resp.text
    assert alice.show(unformatted['id']).json()['status'] == 'queued'


def test_patch_properties_and_rules(alice, bob):
    image = alice.create(name='p', os_distro='ubuntu')
    resp = alice.patch(image['id'],
                       {'op': 'replace', 'path': '/name', 'value': 'renamed'},
                       {'op': 'add', 'path': '/hw_vif_model', 'value': 'virtio'},
                       {'op': 'remove', 'path': '/os_distro'})
    assert resp.status_code == 200, resp.text
    patched = resp.json()
    assert patched['name'] == 'renamed' and patched['hw_vif_model'] == 'virtio'
    assert 'os_distro' not in patched

    assert alice.patch(image['id'], {'op': 'replace', 'path': '/missing',
                                     'value': 'x'}).status_code == 409
    assert alice.patch(image['id'], {'op': 'replace', 'path': '/status',
                                     'value': 'active'}).status_code == 403
    resp = alice.call('PATCH', '/images/%s' % image['id'], json=[],
                      headers={'Content-Type': 'application/json'})
    assert resp.status_code == 415 and 'v2.1-json-patch' in resp.headers['Accept-Patch']
    resp = alice.patch(image['id'], {'op': 'replace', 'path': '/owner', 'value': 'bob'})
    assert resp.status_code == 403
    # Bob cannot even see Alice's shared image until he is a member.
    assert bob.patch(image['id'], {'op': 'replace', 'path': '/name',
                                   'value': 'x'}).status_code == 404


def test_v1_and_v2_see_the_same_image(dep, alice):
    created = alice.create(name='both', architecture='x86_64')
    alice.upload(created['id'], b'0123456789')
    resp = requests.head(dep.url + '/v1/images/%s' % created['id'], headers=ALICE)
    assert resp.headers['x-image-meta-name'] == 'both'
    assert resp.headers['x-image-meta-property-architecture'] == 'x86_64'
    assert resp.headers['x-image-meta-checksum'] == hashlib.md5(b'0123456789').hexdigest()
    assert requests.get(dep.url + '/v1/images/%s' % created['id'],
                        headers=ALICE).content == b'0123456789'

    resp = requests.post(dep.url + '/v1/images', data=b'v1 data', headers={
        **ALICE, 'x-image-meta-name': 'from-v1', 'x-image-meta-disk_format': 'qcow2',
        'x-image-meta-container_format': 'bare', 'x-image-meta-property-os': 'linux',
        'Content-Type': 'application/octet-stream'})
    v1_image = resp.json()['image']
    shown = alice.show(v1_image['id']).json()
    assert (shown['name'], shown['os'], shown['size'], shown['disk_format']) == (
        'from-v1', 'linux', 7, 'qcow2')
    assert alice.call('GET', '/images/%s/file' % v1_image['id']).content == b'v1 data'


def test_list_filters_sorting_and_paging(alice):
    made = [alice.create(name='page-%d' % i, min_ram=i) for i in range(5)]
    ids = {i['id'] for i in made}
    resp = alice.call('GET', '/images', params={'limit': 2, 'sort': 'name:asc',
                                                'name': 'in:page-0,page-1,page-2,page-3,'
                                                        'page-4'})
    body = resp.json()
    assert [i['name'] for i in body['images']] == ['page-0', 'page-1']
    assert body['schema'] == '/v2/schemas/images' and body['first'].startswith('/v2/images')
    seen = [i['id'] for i in body['images']]
    while 'next' in body:
        body = alice.call('GET', body['next'][len('/v2'):]).json()
        seen += [i['id'] for i in body['images']]
    assert set(seen) == ids and len(seen) == 5
    assert alice.ids(min_ram='3') == [made[3]['id']]
    assert alice.call('GET', '/images', params={'sort_key': 'owner'}).status_code == 400


def test_sharing_with_member_status(alice, bob, dep):
    image = alice.create(name='shared-with-bob')
    resp = alice.call('POST', '/images/%s/members' % image['id'], json={'member': 'bob'})
    assert resp.status_code == 200 and resp.json()['status'] == 'pending'
    assert alice.call('POST', '/images/%s/members' % image['id'],
                      json={'member': 'bob'}).status_code == 409
    assert image['id'] not in bob.ids()
    assert image['id'] in bob.ids(member_status='pending')
    # Only Bob may accept; Alice may not accept on his behalf.
    assert alice.call('PUT', '/images/%s/members/bob' % image['id'],
                      json={'status': 'accepted'}).status_code == 403
    resp = bob.call('PUT', '/images/%s/members/bob' % image['id'],
                    json={'status': 'accepted'})
    assert resp.status_code == 200 and resp.json()['status'] == 'accepted'
    assert image['id'] in bob.ids()
    members = bob.call('GET', '/images/%s/members' % image['id']).json()['members']
    assert [m['member_id'] for m in members] == ['bob']
    carol = Client(dep, CAROL)
    assert carol.call('GET', '/images/%s/members/bob' % image['id']).status_code == 404
    assert bob.call('DELETE', '/images/%s/members/bob' % image['id']).status_code == 403
    assert alice.call('DELETE', '/images/%s/members/bob' % image['id']).status_code == 204
    assert bob.show(image['id']).status_code == 404

    private = alice.create(name='private', visibility='private')
    resp = alice.call('POST', '/images/%s/members' % private['id'], json={'member': 'bob'})
    assert resp.status_code == 403 and 'Only shared images have members' in resp.text


def test_tags_and_tag_quota(alice):
    image = alice.create(name='tagged')
    for tag in ('x', 'y', 'x'):
        assert alice.call('PUT', '/images/%s/tags/%s' % (image['id'], tag)).status_code == 204
    assert sorted(alice.show(image['id']).json()['tags']) == ['x', 'y']
    assert image['id'] in alice.ids(tag='x')
    alice.call('PUT', '/images/%s/tags/z' % image['id'])
    resp = alice.call('PUT', '/images/%s/tags/w' % image['id'])
    assert resp.status_code == 413
    assert alice.call('DELETE', '/images/%s/tags/x' % image['id']).status_code == 204
    assert alice.call('DELETE', '/images/%s/tags/x' % image['id']).status_code == 404
    assert sorted(alice.show(image['id']).json()['tags']) == ['y', 'z']


def test_deactivate_and_reactivate(alice, admin):
    image = alice.create(name='deact')
    alice.upload(image['id'], b'data')
    path = '/images/%s/actions/' % image['id']
    assert alice.call('POST', path + 'deactivate').status_code == 204
    assert alice.call('POST', path + 'deactivate').status_code == 204
    shown = alice.show(image['id']).json()
    assert shown['status'] == 'deactivated' and shown['locations'] == []
    resp = alice.call('GET', '/images/%s/file' % image['id'])
    assert resp.status_code == 403 and 'deactivated' in resp.text
    assert admin.call('GET', '/images/%s/file' % image['id']).content == b'data'
    assert alice.call('POST', path + 'reactivate').status_code == 204
    assert alice.call('GET', '/images/%s/file' % image['id']).content == b'data'
    queued = alice.create(name='queued')
    resp = alice.call('POST', '/images/%s/actions/deactivate' % queued['id'])
    assert resp.status_code == 403 and "status 'queued'" in resp.text


def test_locations_under_policy(alice, admin, source):
    url = source.url('/remote.img')
    image = admin.create(name='remote')
    add = {'op': 'add', 'path': '/locations/-', 'value': {'url': url, 'metadata': {}}}
    # set_image_location is admin-only by default.
    owned = alice.create(name='alice-remote')
    assert alice.patch(owned['id'], add).status_code == 403
    resp = admin.patch(image['id'], add)
    assert resp.status_code == 200, resp.text
    assert resp.json()['status'] == 'active' and resp.json()['size'] == len(REMOTE)
    assert admin.call('GET', '/images/%s/file' % image['id']).content == REMOTE
    resp = admin.patch(image['id'], {'op': 'remove', 'path': '/locations/0'})
    assert resp.status_code == 403 and 'last location' in resp.text
    resp = admin.patch(image['id'], {'op': 'add', 'path': '/locations/-',
                                     'value': {'url': 'file:///etc/passwd', 'metadata': {}}})
    assert resp.status_code == 400
