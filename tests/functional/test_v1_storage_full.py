"""A store that runs out of room: 413, the image killed, no partial data left, and
the next upload that fits succeeds."""
import os
import resource

import requests

from tests.functional import deployment

FORMATS = {'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare',
           'Content-Type': 'application/octet-stream'}


def test_full_store_gives_413_and_keeps_nothing(tmp_path):
    dep = deployment.Deployment(tmp_path).start()
    try:
        # The kernel refuses to grow any file of glance-api beyond 1 MiB (EFBIG), the
        # same failure path as a full disk (ENOSPC).
        limit = 1024 * 1024
        resource.prlimit(dep.api.pid, resource.RLIMIT_FSIZE, (limit, limit))
        resp = requests.post(dep.url + '/v1/images', data=os.urandom(2 * limit),
                             headers={'x-image-meta-name': 'too-big-for-disk', **FORMATS})
        assert resp.status_code == 413
        assert 'Image storage media is full' in resp.text
        assert dep.stored_files() == []
        killed = requests.get(dep.url + '/v1/images/detail',
                              params={'changes-since': '2000-01-01T00:00:00'}).json()
        assert [i['status'] for i in killed['images']] == ['killed']

        small = os.urandom(1000)
        resp = requests.post(dep.url + '/v1/images', data=small,
                             headers={'x-image-meta-name': 'fits', **FORMATS})
        assert resp.status_code == 201
        image_id = resp.json()['image']['id']
        assert requests.get('%s/v1/images/%s' % (dep.url, image_id)).content == small
    finally:
        dep.stop()
