"""Images API v1 over raw HTTP against real glance-api + glance-registry processes."""
import hashlib
import os
import socket
import time
import uuid

import pytest
import requests

from tests.functional import deployment

DATA = os.urandom(3 * 1024 * 1024 + 17)


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    d = deployment.Deployment(tmp_path_factory.mktemp('v1'),
                              api_conf={'DEFAULT': {'image_size_cap': str(8 * 1024 * 1024)}})
    d.start()
    yield d
    d.stop()


def meta(**fields):
    headers = {}
    for key, value in fields.items():
        if key.startswith('p_'):
            headers['x-image-meta-property-' + key[2:]] = str(value)
        else:
            headers['x-image-meta-' + key] = str(value)
    return headers


def create(dep, data=None, **fields):
    headers = meta(**fields)
    if data is not None:
        headers['Content-Type'] = 'application/octet-stream'
    return requests.post(dep.url + '/v1/images', headers=headers, data=data)


def head(dep, image_id):
    return requests.head('%s/v1/images/%s' % (dep.url, image_id))


def status_of(dep, image_id):
    return head(dep, image_id).headers['x-image-meta-status']


def chunks(data, size=65536):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_reserve_then_upload_then_download(dep):
    resp = create(dep, name='reserved', disk_format='raw', container_format='bare')
    assert resp.status_code == 201
    image = resp.json()['image']
    assert image['status'] == 'queued'
    assert image['size'] == 0 and image['checksum'] is None
    assert resp.headers['Location'].endswith('/v1/images/%s' % image['id'])
    assert requests.get('%s/v1/images/%s' % (dep.url, image['id'])).status_code == 404

    resp = requests.put('%s/v1/images/%s' % (dep.url, image['id']), data=DATA,
                        headers={'Content-Type': 'application/octet-stream'})
    assert resp.status_code == 200, resp.text
    assert resp.json()['image']['status'] == 'active'
    assert resp.json()['image']['checksum'] == hashlib.md5(DATA).hexdigest()

    resp = requests.get('%s/v1/images/%s' % (dep.url, image['id']))
    assert resp.status_code == 200
    assert resp.content == DATA
    assert resp.headers['Content-Length'] == str(len(DATA))
    assert resp.headers['x-image-meta-checksum'] == hashlib.md5(DATA).hexdigest()
    assert resp.headers['ETag'] == hashlib.md5(DATA).hexdigest()


@pytest.mark.parametrize('chunked', [True, False])
def test_create_with_data(dep, chunked):
    body = chunks(DATA) if chunked else DATA
    resp = create(dep, body, name='with-data', disk_format='qcow2', container_format='bare',
                  p_distro='cirros', is_public='True')
    assert resp.status_code == 201, resp.text
    image = resp.json()['image']
    assert image['status'] == 'active'
    assert image['size'] == len(DATA)
    assert image['is_public'] is True
    assert image['properties'] == {'distro': 'cirros'}
    assert 'location' not in image
    h = head(dep, image['id']).headers
    assert h['x-image-meta-is_public'] == 'True'
    assert h['x-image-meta-property-distro'] == 'cirros'
    assert h['x-image-meta-size'] == str(len(DATA))
    assert not any('location' in k.lower() for k in h)


def test_size_zero_without_data_is_active(dep):
    resp = create(dep, name='empty', size=0, disk_format='raw', container_format='bare')
    image = resp.json()['image']
    assert image['status'] == 'active'
    resp = requests.get('%s/v1/images/%s' % (dep.url, image['id']))
    assert resp.status_code == 200 and resp.content == b''


@pytest.mark.parametrize('fields,message', [
    ({'size': len(DATA) + 1}, 'Supplied size (%d) and size generated from uploaded image'
                              % (len(DATA) + 1)),
    ({'checksum': '0' * 32}, 'Supplied checksum (%s) and checksum generated' % ('0' * 32)),
])
def test_mismatch_kills_image_and_keeps_no_data(dep, fields, message):
    before = set(dep.stored_files())
    image = create(dep, name='mismatch', disk_format='raw',
                   container_format='bare').json()['image']
    resp = requests.put('%s/v1/images/%s' % (dep.url, image['id']), data=DATA,
                        headers={'Content-Type': 'application/octet-stream', **meta(**fields)})
    assert resp.status_code == 400
    assert message in resp.text
    assert "Setting image status to 'killed'" in resp.text
    assert status_of(dep, image['id']) == 'killed'
    assert set(dep.stored_files()) == before


def test_oversize_chunked_upload_is_413_and_killed(dep):
    before = set(dep.stored_files())
    big = os.urandom(9 * 1024 * 1024)
    resp = create(dep, chunks(big), name='too-big', disk_format='raw',
                  container_format='bare')
    assert resp.status_code == 413
    assert 'Denying attempt to upload image larger than 8388608 bytes.' in resp.text
    assert set(dep.stored_files()) == before


def test_declared_oversize_is_400_before_anything_is_stored(dep):
    resp = create(dep, name='declared-big', size=9 * 1024 * 1024, disk_format='raw',
                  container_format='bare')
    assert resp.status_code == 400
    assert 'Denying attempt to upload image larger than 8388608 bytes.' in resp.text


def test_wrong_content_type_kills_the_reservation(dep):
    resp = requests.post(dep.url + '/v1/images', data=b'abc', headers={
        'Content-Type': 'text/plain', **meta(name='ctype', disk_format='raw',
                                             container_format='bare')})
    assert resp.status_code == 400
    assert 'Content-Type must be application/octet-stream' in resp.text


@pytest.mark.parametrize('headers,message', [
    ({'x-image-meta-colour': 'red'}, 'Bad header: x-image-meta-colour'),
    ({'x-image-meta-disk_format': 'floppy'}, "Invalid disk format 'floppy' for image."),
    ({'x-image-meta-min_ram': 'lots'}, "Cannot convert image min ram 'lots' to an integer."),
    ({'x-image-meta-id': 'not-a-uuid'}, 'Invalid image id format'),
])
def test_bad_headers_are_400(dep, headers, message):
    resp = requests.post(dep.url + '/v1/images', headers=headers)
    assert resp.status_code == 400
    assert message in resp.text


def test_missing_formats_with_data(dep):
    resp = create(dep, DATA, name='noformat')
    assert resp.status_code == 400
    assert 'Disk format is not specified.' in resp.text


def test_duplicate_id_is_409(dep):
    image_id = str(uuid.uuid4())
    assert create(dep, id=image_id).status_code == 201
    resp = create(dep, id=image_id)
    assert resp.status_code == 409
    assert 'An image with identifier %s already exists' % image_id in resp.text


def test_update_merge_and_purge_properties(dep):
    image = create(dep, name='props', p_a='1', p_b='2').json()['image']
    url = '%s/v1/images/%s' % (dep.url, image['id'])
    resp = requests.put(url, headers={'x-glance-registry-purge-props': 'false',
                                      **meta(p_c='3', name='renamed')})
    assert resp.status_code == 200
    assert resp.json()['image']['properties'] == {'a': '1', 'b': '2', 'c': '3'}
    assert resp.json()['image']['name'] == 'renamed'
    resp = requests.put(url, headers=meta(p_z='9'))
    assert resp.json()['image']['properties'] == {'z': '9'}


def test_status_cannot_be_changed_and_active_data_is_immutable(dep):
    image = create(dep, DATA, disk_format='raw', container_format='bare').json()['image']
    url = '%s/v1/images/%s' % (dep.url, image['id'])
    resp = requests.put(url, headers=meta(status='queued'))
    assert resp.status_code == 403
    assert "Forbidden to modify 'status' of image." in resp.text
    assert requests.put(url, headers=meta(status='active')).status_code == 200
    resp = requests.put(url, data=b'new', headers={'Content-Type': 'application/octet-stream'})
    assert resp.status_code == 409
    assert 'Cannot upload to an unqueued image' in resp.text
    assert requests.get(url).content == DATA


def test_delete_removes_record_and_data(dep):
    image = create(dep, DATA, disk_format='raw', container_format='bare').json()['image']
    files = set(dep.stored_files())
    url = '%s/v1/images/%s' % (dep.url, image['id'])
    resp = requests.delete(url)
    assert resp.status_code == 200 and resp.content == b''
    assert requests.get(url).status_code == 404
    assert len(files - set(dep.stored_files())) == 1
    assert requests.delete(url).status_code == 404


def test_protected_image_cannot_be_deleted(dep):
    image = create(dep, protected='True').json()['image']
    url = '%s/v1/images/%s' % (dep.url, image['id'])
    resp = requests.delete(url)
    assert resp.status_code == 403 and 'Image is protected' in resp.text
    assert requests.put(url, headers=meta(protected='False')).status_code == 200
    assert requests.delete(url).status_code == 200


def test_list_filters_sorting_and_paging(dep):
    tag = uuid.uuid4().hex[:8]
    ids = [create(dep, name='%s-%d' % (tag, i), disk_format='raw', container_format='bare',
                  size=0, p_batch=tag, min_ram=i).json()['image']['id'] for i in range(5)]
    url = dep.url + '/v1/images/detail'
    got = requests.get(url, params={'property-batch': tag, 'sort_key': 'name',
                                    'sort_dir': 'asc'}).json()['images']
    assert [i['id'] for i in got] == ids
    page = requests.get(url, params={'property-batch': tag, 'sort_key': 'name',
                                     'sort_dir': 'asc', 'limit': 2,
                                     'marker': ids[1]}).json()['images']
    assert [i['id'] for i in page] == ids[2:4]
    got = requests.get(url, params={'property-batch': tag, 'min_ram': 3}).json()['images']
    assert [i['id'] for i in got] == [ids[3]]
    got = requests.get(dep.url + '/v1/images', params={'name': '%s-0' % tag}).json()
    assert got == {'images': [{'id': ids[0], 'name': '%s-0' % tag, 'size': 0,
                               'disk_format': 'raw', 'container_format': 'bare',
                               'checksum': None}]}


@pytest.mark.parametrize('params,message', [
    ({'sort_key': 'colour'}, 'Unsupported sort_key'),
    ({'sort_dir': 'up'}, 'Unsupported sort_dir. Acceptable values: asc, desc'),
    ({'limit': 'x'}, 'limit param must be an integer'),
    ({'marker': str(uuid.uuid4())}, 'Invalid marker. Image could not be found.'),
    ({'size_min': '-3'}, 'size_min'),
    ({'changes-since': 'never'}, 'Unrecognized changes-since value'),
])
def test_bad_list_parameters_are_400(dep, params, message):
    resp = requests.get(dep.url + '/v1/images/detail', params=params)
    assert resp.status_code == 400
    assert message in resp.text


def test_members_and_shared_images(dep):
    image = create(dep, name='shared').json()['image']
    base = '%s/v1/images/%s/members' % (dep.url, image['id'])
    assert requests.put(base + '/tenant-a').status_code == 204
    assert requests.put(base + '/tenant-b', json={'member': {'can_share': True}}
                        ).status_code == 204
    members = requests.get(base).json()['members']
    assert sorted((m['member_id'], m['can_share']) for m in members) == [
        ('tenant-a', False), ('tenant-b', True)]
    shared = requests.get(dep.url + '/v1/shared-images/tenant-b').json()['shared_images']
    assert {'image_id': image['id'], 'can_share': True} in shared
    resp = requests.put(base, json={'memberships': [{'member_id': 'tenant-c'}]})
    assert resp.status_code == 204
    assert [m['member_id'] for m in requests.get(base).json()['members']] == ['tenant-c']
    assert requests.delete(base + '/tenant-c').status_code == 204
    resp = requests.delete(base + '/tenant-c')
    assert resp.status_code == 404 and 'Membership could not be found.' in resp.text
    assert requests.get(base + '/tenant-a').status_code == 405
    resp = requests.put(base, json={'memberships': 'nope'})
    assert resp.status_code == 400 and 'Invalid membership association' in resp.text


def test_routes_versions_and_methods(dep):
    resp = requests.get(dep.url + '/')
    assert resp.status_code == 300
    assert 'v1.0' in [v['id'] for v in resp.json()['versions']]
    resp = requests.post(dep.url + '/v1/images/detail')
    assert resp.status_code == 405 and resp.headers['Allow'] == 'GET, HEAD'
    resp = requests.patch(dep.url + '/v1/images')
    assert resp.status_code == 405 and resp.headers['Allow'] == 'GET, POST'
    assert requests.get(dep.url + '/v1/nothing').status_code == 404
    assert requests.request('BREW', dep.url + '/v1/images').status_code == 501
    resp = requests.get(dep.url + '/v1/images')
    assert resp.headers['x-openstack-request-id'].startswith('req-')


def test_oversize_header_line_is_400(dep):
    resp = requests.get(dep.url + '/v1/images', headers={'X-Big': 'x' * 20000})
    assert resp.status_code == 400


def test_client_gone_mid_upload_leaves_nothing(dep):
    before = set(dep.stored_files())
    image = create(dep, name='gone', disk_format='raw', container_format='bare').json()['image']
    with socket.create_connection(('127.0.0.1', dep.api.port)) as sock:
        sock.sendall(('PUT /v1/images/%s HTTP/1.1\r\nHost: x\r\n'
                      'Content-Type: application/octet-stream\r\n'
                      'Content-Length: 5000000\r\n\r\n' % image['id']).encode()
                     + b'x' * 100000)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and status_of(dep, image['id']) != 'killed':
        time.sleep(0.05)
    assert status_of(dep, image['id']) == 'killed'
    assert set(dep.stored_files()) == before
