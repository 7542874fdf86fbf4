"""glance-api and glance-registry with forked workers: each api worker keeps its own
keep-alive connections to the registry, and every request is served."""
import concurrent.futures
import os

import requests

from tests.functional import deployment


def test_v1_with_two_workers_each(tmp_path):
    dep = deployment.Deployment(tmp_path, api_conf={'DEFAULT': {'workers': '2'}},
                                registry_conf={'DEFAULT': {'workers': '2'}})
    with dep:
        assert len(dep.api.workers()) == 2 and len(dep.registry.workers()) == 2
        payload = os.urandom(64 * 1024)

        def round_trip(i):
            with requests.Session() as s:
                resp = s.post(dep.url + '/v1/images', data=payload, headers={
                    'Content-Type': 'application/octet-stream', 'x-image-meta-name': 'w%d' % i,
                    'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare'})
                resp.raise_for_status()
                image_id = resp.json()['image']['id']
                return s.get('%s/v1/images/%s' % (dep.url, image_id)).content == payload

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert all(pool.map(round_trip, range(40)))
        listed = requests.get(dep.url + '/v1/images/detail', params={'limit': 100}).json()
        assert len(listed['images']) == 40
