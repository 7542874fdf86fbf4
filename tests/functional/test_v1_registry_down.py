"""glance-api without its registry: a fast 503, and recovery without a restart."""
import time

import requests

from tests.functional import deployment


def test_registry_down_gives_503_fast_and_recovers(tmp_path):
    dep = deployment.Deployment(tmp_path,
                                api_conf={'DEFAULT': {'registry_client_timeout': '30'}})
    dep.start()
    try:
        image = requests.post(dep.url + '/v1/images',
                              headers={'x-image-meta-name': 'kept'}).json()['image']
        port = dep.registry.port
        dep.registry.stop()

        started = time.monotonic()
        resp = requests.get(dep.url + '/v1/images', timeout=30)
        elapsed = time.monotonic() - started
        assert resp.status_code == 503
        assert 'registry' in resp.text.lower()
        assert elapsed < 5

        dep.registry.restart(port=port)
        resp = requests.head('%s/v1/images/%s' % (dep.url, image['id']))
        assert resp.status_code == 200
        assert resp.headers['x-image-meta-name'] == 'kept'
    finally:
        dep.stop()
