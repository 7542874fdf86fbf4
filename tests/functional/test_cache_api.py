"""The ``cache`` and ``cachemanage`` filters in real glance-api processes: misses fill
the cache only with verified data, hits are served only to callers the download path
would serve.  A hit is proven by removing the image's file from the store first."""
import os
import socket

import pytest
import requests

from tests.functional import deployment, fixtures
from tests.functional.cache_helpers import CacheDeployment, md5

DATA = os.urandom(3 * 1024 * 1024 + 5)


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    d = CacheDeployment(tmp_path_factory.mktemp('cache-api'))
    d.start()
    yield d
    d.stop()


def cached_images(dep, prefix='/v1'):
    return {i['image_id']: i for i in
            requests.get(dep.url + prefix + '/cached_images').json()['cached_images']}


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_miss_fills_the_cache_and_the_hit_needs_no_store(dep, version):
    image_id = dep.upload(DATA)
    resp = dep.download(image_id, version)
    assert resp.status_code == 200 and resp.content == DATA
    assert dep.cached_ids().count(image_id) == 1
    assert dep.cached_data(image_id) == DATA
    assert cached_images(dep)[image_id]['hits'] == 0

    os.unlink(dep.store_path(image_id))  # from now on only the cache has the bytes
    resp = dep.download(image_id, version)
    assert resp.status_code == 200 and resp.content == DATA
    assert resp.headers['Content-Length'] == str(len(DATA))
    if version == 'v1':
        assert resp.headers['x-image-meta-checksum'] == md5(DATA) == resp.headers['ETag']
        assert resp.headers['x-image-meta-id'] == image_id
    else:
        assert resp.headers['Content-MD5'] == md5(DATA)
    assert cached_images(dep, '/v2')[image_id]['hits'] == 1


def test_ranges_are_served_by_the_store_and_not_cached(dep):
    image_id = dep.upload(DATA)
    resp = dep.download(image_id, 'v2', headers={'Range': 'bytes=10-19'})
    assert resp.status_code == 206 and resp.content == DATA[10:20]
    assert image_id not in dep.cached_ids()


def test_data_that_fails_its_checksum_is_cut_short_and_never_cached(dep):
    image_id = dep.upload(DATA)
    with open(dep.store_path(image_id), 'r+b') as f:  # bit rot in the store
        f.seek(1000)
        f.write(b'\0' * 10)
    with pytest.raises(requests.RequestException):
        requests.get('%s/v1/images/%s' % (dep.url, image_id), timeout=30).content
    assert image_id not in dep.cached_ids()
    assert image_id in dep.files_in('invalid')


def test_a_client_that_goes_away_leaves_nothing_cached(dep):
    image_id = dep.upload(DATA)
    with socket.create_connection(('127.0.0.1', dep.api.port)) as sock:
        sock.sendall(('GET /v1/images/%s HTTP/1.1\r\nHost: x\r\n\r\n' % image_id).encode())
        assert sock.recv(65536)
    fixtures.wait_for(lambda: image_id in dep.files_in('invalid'),
                      message='the partial file in invalid/')
    assert image_id not in dep.cached_ids() and image_id not in dep.files_in('incomplete')


def test_deleting_an_image_removes_it_from_the_cache(dep):
    image_id = dep.upload(DATA)
    assert dep.download(image_id).status_code == 200 and image_id in dep.cached_ids()
    assert requests.delete('%s/v1/images/%s' % (dep.url, image_id)).status_code == 200
    assert image_id not in dep.cached_ids()
    assert dep.download(image_id).status_code == 404


def test_an_image_deleted_elsewhere_is_not_served_from_the_cache(dep):
    image_id = dep.upload(DATA)
    assert dep.download(image_id).status_code == 200 and image_id in dep.cached_ids()
    # Another api node deletes it: the registry forgets it, this node's cache does not.
    assert requests.delete('%s/images/%s' % (dep.registry.url, image_id)).status_code == 200
    assert dep.download(image_id).status_code == 404
    assert dep.download(image_id, 'v2').status_code == 404
    assert image_id not in dep.cached_ids()  # dropped once seen deleted


def test_a_deactivated_image_is_not_served_from_the_cache(dep):
    image_id = dep.upload(DATA)
    assert dep.download(image_id).status_code == 200 and image_id in dep.cached_ids()
    os.unlink(dep.store_path(image_id))
    action = '%s/v2/images/%s/actions/' % (dep.url, image_id)
    assert requests.post(action + 'deactivate').status_code == 204
    resp = dep.download(image_id)
    assert resp.status_code == 403 and DATA[:100] not in resp.content
    assert image_id in dep.cached_ids()
    assert requests.post(action + 'reactivate').status_code == 204
    assert dep.download(image_id).content == DATA


def test_the_management_api_under_both_prefixes(dep):
    image_id = dep.upload(DATA)
    dep.download(image_id)
    for prefix in ('/v1', '/v2'):
        assert image_id in cached_images(dep, prefix)
        assert requests.get(dep.url + prefix + '/queued_images').json() == {
            'queued_images': []}
    assert requests.delete('%s/v2/cached_images/%s' % (dep.url, image_id)).json() is None
    assert image_id not in dep.cached_ids()


# -- who may read what ---------------------------------------------------------------

def who(tenant, roles='member'):
    return {'X-Identity-Status': 'Confirmed', 'X-Tenant-Id': tenant,
            'X-User-Id': 'user-' + tenant, 'X-Roles': roles}


ALICE, BOB, ADMIN = who('alice'), who('bob'), who('ops', 'admin')


@pytest.fixture(scope='module')
def tenancy(tmp_path_factory):
    d = CacheDeployment(tmp_path_factory.mktemp('cache-tenancy'),
                        flavor='trusted-auth+cachemanagement', registry_flavor='trusted-auth',
                        api_conf={'DEFAULT': {'send_identity_headers': 'True'}})
    d.start()
    yield d
    d.stop()


def test_a_cached_private_image_is_never_served_to_another_tenant(tenancy):
    dep = tenancy
    image_id = dep.upload(DATA, headers=ALICE)
    assert dep.download(image_id, headers=ALICE).content == DATA
    assert image_id in dep.cached_ids()
    os.unlink(dep.store_path(image_id))
    for version in ('v1', 'v2'):
        resp = dep.download(image_id, version, headers=BOB)
        assert resp.status_code == 404 and DATA[:100] not in resp.content
        assert dep.download(image_id, version, headers=ALICE).content == DATA
    # Sharing makes it Bob's to read, from the cache.
    assert requests.put('%s/v1/images/%s/members/bob' % (dep.url, image_id),
                        headers=ALICE).status_code == 204
    assert dep.download(image_id, headers=BOB).content == DATA


def test_cache_management_is_admin_only(tenancy):
    dep = tenancy
    image_id = '8b9e3c4d-3f2a-4f52-9a3b-0e6f1f2a7c11'
    for caller, status in ((ALICE, 403), (ADMIN, 200)):
        for method, path in (('GET', '/v2/cached_images'), ('GET', '/v1/queued_images'),
                             ('PUT', '/v2/queued_images/%s' % image_id)):
            resp = requests.request(method, dep.url + path, headers=caller)
            assert resp.status_code == status, (caller, method, path, resp.text)
    assert requests.get(dep.url + '/v2/cached_images').status_code == 401


# -- configurations that cannot work -------------------------------------------------

@pytest.mark.parametrize('cache_dir,driver,message', [
    (None, 'sqlite', 'ERROR: The image cache needs a directory: set image_cache_dir'),
    ('a-file/cache', 'sqlite', 'ERROR: The image cache cannot use {workdir}/a-file/cache '
                               '(image_cache_dir): Not a directory'),
    ('a-file/cache', 'xattr', 'ERROR: The image cache cannot use {workdir}/a-file/cache '
                              '(image_cache_dir): Not a directory'),
    ('cache', 'floppy', 'ERROR: '),
])
def test_a_cache_that_cannot_work_refuses_to_start(tmp_path, cache_dir, driver, message):
    (tmp_path / 'a-file').write_text('not a directory')
    options = {'image_cache_driver': driver}
    if cache_dir:
        options['image_cache_dir'] = str(tmp_path / cache_dir)
    dep = deployment.Deployment(tmp_path, flavor='caching', api_conf={'DEFAULT': options})
    try:
        with pytest.raises(fixtures.ServerStartError):
            dep.start()
        assert dep.api.returncode != 0
        lines = dep.api.stderr_text().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message.format(workdir=tmp_path))
        if driver == 'floppy':
            assert 'image_cache_driver' in lines[0] and 'floppy' in lines[0]
    finally:
        dep.stop()


def test_the_xattr_driver_serves_hits_too(tmp_path):
    with CacheDeployment(tmp_path, driver='xattr') as dep:
        image_id = dep.upload(DATA)
        assert dep.download(image_id).content == DATA
        os.unlink(dep.store_path(image_id))
        assert dep.download(image_id, 'v2').content == DATA
        entry = cached_images(dep)[image_id]
        assert entry['hits'] == 1 and isinstance(entry['last_accessed'], int)
        assert not os.path.exists(os.path.join(dep.cache_dir, 'cache.db'))
