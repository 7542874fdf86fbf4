"""v1 images whose data comes from elsewhere: x-image-meta-location and
x-glance-api-copy-from, against a real HTTP server on loopback."""
import hashlib
import os
import time

import pytest
import requests

from tests.functional import deployment, httpsource

PAYLOAD = os.urandom(2 * 1024 * 1024 + 3)


@pytest.fixture(scope='module')
def source():
    with httpsource.SourceServer({'/image.raw': PAYLOAD}) as server:
        yield server


@pytest.fixture(scope='module')
def dep(tmp_path_factory, source):
    with deployment.Deployment(tmp_path_factory.mktemp('sources'),
                               api_conf=deployment.fetching_from(source)) as d:
        yield d


FORMATS = {'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare'}


def wait_for_status(dep, image_id, wanted, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        status = requests.head('%s/v1/images/%s' % (dep.url, image_id)).headers[
            'x-image-meta-status']
        if status == wanted or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_location_makes_an_active_image_served_from_the_source(dep, source):
    resp = requests.post(dep.url + '/v1/images', headers={
        'x-image-meta-location': source.url('/image.raw'), **FORMATS})
    assert resp.status_code == 201, resp.text
    image = resp.json()['image']
    assert image['status'] == 'active'
    assert image['size'] == len(PAYLOAD)
    assert 'location' not in image
    got = requests.get('%s/v1/images/%s' % (dep.url, image['id']))
    assert got.content == PAYLOAD
    assert not any('location' in k.lower() for k in got.headers)
    assert all(image['id'] not in f for f in dep.stored_files())


def test_location_size_must_match(dep, source):
    resp = requests.post(dep.url + '/v1/images', headers={
        'x-image-meta-location': source.url('/image.raw'), 'x-image-meta-size': '5',
        **FORMATS})
    assert resp.status_code == 409
    assert 'Provided image size must match the stored image size.' in resp.text


def test_missing_source_is_404(dep, source):
    resp = requests.post(dep.url + '/v1/images', headers={
        'x-image-meta-location': source.url('/missing'), **FORMATS})
    assert resp.status_code == 404


def test_copy_from_copies_into_the_store(dep, source):
    resp = requests.post(dep.url + '/v1/images', headers={
        'x-glance-api-copy-from': source.url('/image.raw'), **FORMATS})
    assert resp.status_code == 201, resp.text
    image = resp.json()['image']
    assert image['status'] == 'queued'
    assert wait_for_status(dep, image['id'], 'active') == 'active'
    got = requests.get('%s/v1/images/%s' % (dep.url, image['id']))
    assert hashlib.md5(got.content).hexdigest() == hashlib.md5(PAYLOAD).hexdigest()
    assert any(image['id'] in f for f in dep.stored_files())


@pytest.mark.parametrize('location', [
    'file:///etc/passwd', 'FILE:///etc/passwd', 'filesystem:///etc/passwd',
    'swift+config://ref1/glance/x'])
def test_local_locations_are_refused(dep, location):
    resp = requests.post(dep.url + '/v1/images', headers={
        'x-image-meta-location': location, **FORMATS})
    assert resp.status_code == 400
    assert 'External sources are not supported' in resp.text


def test_loopback_on_other_ports_is_refused(dep):
    resp = requests.post(dep.url + '/v1/images', headers={
        'x-glance-api-copy-from': 'http://127.0.0.1:%d/' % dep.registry.port, **FORMATS})
    assert resp.status_code == 400
