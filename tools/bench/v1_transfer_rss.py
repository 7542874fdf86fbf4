"""glance-api memory across large v1 transfers.

Starts a real registry + api (SQLite, file store, workers=0, so the api is one
process), uploads an image of each size with chunked transfer encoding, downloads it
back, and samples glance-api's RSS from /proc while the bytes move.  The bytes are
generated and checked on the fly: neither side holds an image in memory.

    .venv/bin/python -m tools.bench.v1_transfer_rss [--sizes-mib 256,1024] [--json out.json]
"""
import argparse
import hashlib
import json
import os
import tempfile
import threading
import time

import requests

from tests.functional import deployment

CHUNK = 1024 * 1024


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError('no VmRSS for pid %d' % pid)


class PeakSampler:
    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            self._stop.wait(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def generated(size, digest):
    block = os.urandom(CHUNK)
    sent = 0
    while sent < size:
        piece = block[:min(CHUNK, size - sent)]
        digest.update(piece)
        sent += len(piece)
        yield piece


def transfer(dep, size):
    up_md5 = hashlib.md5()
    headers = {'Content-Type': 'application/octet-stream', 'x-image-meta-name': 'bench',
               'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare'}
    started = time.monotonic()
    with PeakSampler(dep.api.pid) as up:
        resp = requests.post(dep.url + '/v1/images', headers=headers,
                             data=generated(size, up_md5))
    upload_s = time.monotonic() - started
    resp.raise_for_status()
    image = resp.json()['image']
    assert image['checksum'] == up_md5.hexdigest(), 'upload checksum differs'
    down_md5 = hashlib.md5()
    started = time.monotonic()
    with PeakSampler(dep.api.pid) as down:
        with requests.get('%s/v1/images/%s' % (dep.url, image['id']), stream=True) as r:
            r.raise_for_status()
            for piece in r.iter_content(CHUNK):
                down_md5.update(piece)
    download_s = time.monotonic() - started
    assert down_md5.hexdigest() == image['checksum'], 'download checksum differs'
    requests.delete('%s/v1/images/%s' % (dep.url, image['id'])).raise_for_status()
    return {'size_mib': size // CHUNK, 'upload_s': round(upload_s, 2),
            'download_s': round(download_s, 2),
            'upload_peak_rss_mib': round(up.peak / 1024, 1),
            'download_peak_rss_mib': round(down.peak / 1024, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes-mib', default='256,1024')
    parser.add_argument('--json')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        dep = deployment.Deployment(workdir).start()
        try:
            baseline = round(rss_kib(dep.api.pid) / 1024, 1)
            rows = [transfer(dep, int(s) * CHUNK) for s in args.sizes_mib.split(',')]
        finally:
            dep.stop()
    peaks = [max(r['upload_peak_rss_mib'], r['download_peak_rss_mib']) for r in rows]
    result = {'idle_rss_mib': baseline, 'runs': rows,
              'growth_smallest_to_largest_mib': round(peaks[-1] - peaks[0], 1)}
    print('glance-api idle RSS: %s MiB' % baseline)
    header = ('MiB', 'upload s', 'download s', 'up peak MiB', 'down peak MiB')
    print('%8s %9s %11s %14s %16s' % header)
    for r in rows:
        print('%8d %9.2f %11.2f %14.1f %16.1f' % (
            r['size_mib'], r['upload_s'], r['download_s'], r['upload_peak_rss_mib'],
            r['download_peak_rss_mib']))
    print('peak RSS growth from the smallest to the largest transfer: %s MiB'
          % result['growth_smallest_to_largest_mib'])
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)


if __name__ == '__main__':
    main()
