"""Cron-style glance-cache-pruner and glance-cache-cleaner runs next to a busy api
(two workers): every download completes with the right bytes, and nothing truncated or
unverified ever becomes a cache entry.

The tools are set up to do the most damage they can: the size limit holds about two
images, so the pruner removes entries while they are being served, and
``image_cache_stall_time = 0`` makes the cleaner remove every file being written.
"""
import concurrent.futures
import hashlib
import os
import threading
import time

import pytest
import requests

from tests.functional import fixtures
from tests.functional.cache_helpers import CacheDeployment, md5

MIB = 1024 * 1024


@pytest.fixture(params=['sqlite', 'xattr'])
def busy(request, tmp_path):
    dep = CacheDeployment(tmp_path, driver=request.param,
                          api_conf={'DEFAULT': {'workers': '2'}},
                          cache_conf={'image_cache_max_size': str(5 * MIB),
                                      'image_cache_stall_time': '0'})
    dep.start()
    images = {}
    for size in (2 * MIB, 2 * MIB + 1, 3 * MIB, 1 * MIB, 8 * MIB):
        data = os.urandom(size)
        images[dep.upload(data)] = data
    yield dep, images
    dep.stop()


def download(dep, image_id, version, slow=False):
    """The md5 and length of one download (read slowly: a client on a thin line)."""
    path = ('/v1/images/%s' % image_id if version == 'v1'
            else '/v2/images/%s/file' % image_id)
    digest, length = hashlib.md5(), 0
    with requests.get(dep.url + path, stream=True, timeout=60) as resp:
        assert resp.status_code == 200, (resp.text, dep.api.diagnostics())
        for chunk in resp.iter_content(65536):
            digest.update(chunk)
            length += len(chunk)
            if slow:
                time.sleep(0.005)  # pacing the reader, not synchronising
        assert int(resp.headers['Content-Length']) == length
    return digest.hexdigest(), length


# Rounds of both tools run while the clients download.
CRON_ROUNDS = 8
CLIENTS = 4


def client(dep, plan, stop):
    """Download the jobs of ``plan`` over and over until ``stop`` is set; returns
    ``[(job, (md5, length) or the error)]``."""
    done = []
    while not stop.is_set():
        for job in plan:
            try:
                got = download(dep, *job)
            except requests.RequestException as e:  # e.g. a transfer cut short
                got = repr(e)
            done.append((job, got))
            if stop.is_set():
                break
    return done


def test_pruner_and_cleaner_next_to_concurrent_downloads(busy):
    dep, images = busy
    ids = sorted(images, key=lambda i: len(images[i]))
    largest = ids[-1]
    plans = []
    for n in range(CLIENTS):
        plan = [(image_id, 'v1' if (n + k) % 2 else 'v2', False)
                for k, image_id in enumerate(ids[:-1])]
        # Each client now and then reads the largest image slowly.
        plan.insert(n % len(plan), (largest, 'v1' if n % 2 else 'v2', True))
        plans.append(plan)

    cron_runs, cached_seen = [], set()
    stop = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        clients = [pool.submit(client, dep, plan, stop) for plan in plans]
        try:
            for _round in range(CRON_ROUNDS):
                for prog in ('glance-cache-pruner', 'glance-cache-cleaner'):
                    result = dep.run_tool(prog)
                    cron_runs.append((prog, result.returncode, result.stdout,
                                      result.stderr))
                cached_seen.update(dep.cached_ids())
        finally:
            stop.set()
        downloads = [item for c in clients for item in c.result()]

    for (image_id, version, _slow), got in downloads:
        assert got == (md5(images[image_id]), len(images[image_id])), \
            (image_id, version, dep.api.diagnostics())
    assert len(downloads) >= CLIENTS * len(ids)
    assert all(code == 0 and out == '' and err == '' for _p, code, out, err in cron_runs), \
        [run for run in cron_runs if run[1] or run[2] or run[3]]
    assert cached_seen, 'the storm never let anything into the cache\n' + dep.api.diagnostics()
    # Whatever is left in the cache is whole and right.
    for image_id in dep.cached_ids():
        assert dep.cached_data(image_id) == images[image_id]

    # Once the storm is over the cache works normally: a miss fills it, a hit serves it.
    assert dep.run_tool('glance-cache-cleaner').returncode == 0
    small = ids[0]
    assert download(dep, small, 'v1') == (md5(images[small]), len(images[small]))
    fixtures.wait_for(lambda: small in dep.cached_ids(), message='the entry')
    os.unlink(dep.store_path(small))
    assert download(dep, small, 'v2') == (md5(images[small]), len(images[small]))
    hits = {i['image_id']: i['hits'] for i in
            requests.get(dep.url + '/v2/cached_images').json()['cached_images']}
    assert hits[small] >= 1
