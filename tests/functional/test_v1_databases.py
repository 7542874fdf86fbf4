"""The whole v1 path on each database engine: glance-manage migrates a new database,
then glance-registry serves glance-api from it."""
import hashlib
import os

import requests

from tests.functional import deployment

DATA = os.urandom(300 * 1024)


def test_v1_image_lifecycle(empty_db_url, tmp_path):
    dep = deployment.Deployment(tmp_path, db_url=empty_db_url,
                                registry_flavor='trusted-auth', flavor='trusted-auth',
                                api_conf={'DEFAULT': {'send_identity_headers': 'True'}})
    dep.start()
    alice = {'X-Identity-Status': 'Confirmed', 'X-Tenant-Id': 'alice', 'X-Roles': 'member'}
    bob = dict(alice, **{'X-Tenant-Id': 'bob'})
    try:
        created = []
        for i, name in enumerate(['b-image', 'a-image', 'c-image']):
            resp = requests.post(dep.url + '/v1/images', data=DATA, headers={
                **alice, 'Content-Type': 'application/octet-stream',
                'x-image-meta-name': name, 'x-image-meta-disk_format': 'qcow2',
                'x-image-meta-container_format': 'bare', 'x-image-meta-min_ram': str(i),
                'x-image-meta-property-os_distro': 'cirros-%d' % i})
            assert resp.status_code == 201, resp.text
            created.append(resp.json()['image'])
        assert {i['checksum'] for i in created} == {hashlib.md5(DATA).hexdigest()}

        listing = requests.get(dep.url + '/v1/images/detail', headers=alice, params={
            'sort_key': 'name', 'sort_dir': 'asc'}).json()['images']
        assert [i['name'] for i in listing] == ['a-image', 'b-image', 'c-image']
        page = requests.get(dep.url + '/v1/images/detail', headers=alice, params={
            'sort_key': 'name', 'sort_dir': 'asc', 'limit': 1,
            'marker': listing[0]['id']}).json()['images']
        assert [i['name'] for i in page] == ['b-image']
        filtered = requests.get(dep.url + '/v1/images/detail', headers=alice, params={
            'property-os_distro': 'cirros-2', 'min_ram': 2}).json()['images']
        assert [i['name'] for i in filtered] == ['c-image']
        assert requests.get(dep.url + '/v1/images', headers=bob).json() == {'images': []}

        image_url = '%s/v1/images/%s' % (dep.url, created[0]['id'])
        assert requests.put(image_url + '/members/bob', headers=alice).status_code == 204
        assert requests.get(image_url, headers=bob).content == DATA
        resp = requests.put(image_url, headers={**alice, 'x-image-meta-name': 'renamed',
                                                'x-glance-registry-purge-props': 'false'})
        assert resp.json()['image']['name'] == 'renamed'
        assert resp.json()['image']['properties'] == {'os_distro': 'cirros-0'}
        assert requests.delete(image_url, headers=bob).status_code == 404
        assert requests.delete(image_url, headers=alice).status_code == 200
        assert requests.head(image_url, headers=alice).status_code == 404
        assert len(dep.stored_files()) == 2
    finally:
        dep.stop()
