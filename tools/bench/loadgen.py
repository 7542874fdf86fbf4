"""The bench's client side, run as a process of its own so that its CPU never counts
as the server's and the bench's bookkeeping never slows the client.

    python -m tools.bench.loadgen < spec.json > result.json

``spec["kind"]`` picks the workload (see :data:`WORKLOADS`); every workload runs one
thread per connection over :class:`httpclient.Connection` (blocking sockets release
the GIL, so one process drives 16 connections).  The result carries the counts, the
errors (first few described), latency percentiles and the client's own CPU seconds.
"""
import json
import random
import resource
import sys
import threading
import time

from tools.bench import httpclient

BLOCK = 1 << 20
MAX_ERROR_SAMPLES = 5


def payload_block(seed):
    """The 1 MiB block every upload repeats (the bench precomputes its digests)."""
    return random.Random(seed).randbytes(BLOCK)


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


class Tally:
    """Counts, latencies and error samples shared by the worker threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = []
        self.errors = 0
        self.samples = []

    def ok(self, seconds):
        with self.lock:
            self.latencies.append(seconds)

    def error(self, text):
        with self.lock:
            self.errors += 1
            if len(self.samples) < MAX_ERROR_SAMPLES:
                self.samples.append(text)

    def summary(self, seconds):
        lat = sorted(self.latencies)
        return {'requests': len(lat), 'errors': self.errors, 'error_samples': self.samples,
                'seconds': round(seconds, 3),
                'rps': round(len(lat) / seconds, 1) if seconds else None,
                'p50_ms': round(percentile(lat, 0.50) * 1000, 2) if lat else None,
                'p99_ms': round(percentile(lat, 0.99) * 1000, 2) if lat else None}


def run_threads(count, target):
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def timed_loop(spec, step):
    """Each connection repeats ``step(conn, index, tally, counting)`` for the warm-up,
    then for ``spec['duration']`` seconds with its latencies counted (errors count
    from the first request)."""
    tally = Tally()
    warmup = spec.get('warmup', 0.5)
    start = time.monotonic() + 0.2
    counted_from, deadline = start + warmup, start + warmup + spec['duration']

    def worker(i):
        conn = httpclient.Connection(spec['host'], spec['port'])
        while time.monotonic() < start:
            time.sleep(0.01)
        n = i
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            try:
                step(conn, n, tally, now >= counted_from)
            except (OSError, httpclient.HttpError, ValueError, KeyError) as e:
                tally.error('%s: %s' % (type(e).__name__, e))
            n += spec['connections']
        conn.close()

    run_threads(spec['connections'], worker)
    return tally.summary(spec['duration'])


def requests_workload(spec):
    """Round robin over fixed requests (GET/HEAD/list), statuses checked."""
    prepared = [(httpclient.build_request(r['method'], r['path'], r.get('headers'),
                                          r.get('body', '').encode() or None),
                 r['method'] == 'HEAD', r.get('expect', 200)) for r in spec['requests']]

    def step(conn, n, tally, counting):
        head, is_head, expect = prepared[n % len(prepared)]
        began = time.monotonic()
        resp = conn.request(head, is_head=is_head)
        took = time.monotonic() - began
        if resp.status != expect:
            tally.error('%d %s' % (resp.status, resp.body[:120]))
        elif counting:
            tally.ok(took)

    return timed_loop(spec, step)


_JSON = {'Content-Type': 'application/json'}


def create_delete_workload(spec):
    """Each connection loops: create a v2 image, delete it.  One loop is one sample."""
    def step(conn, n, tally, counting):
        began = time.monotonic()
        body = json.dumps({'name': 'cd-%d' % n, 'disk_format': 'raw',
                           'container_format': 'bare'}).encode()
        resp = conn.request(httpclient.build_request('POST', '/v2/images', _JSON, body))
        if resp.status != 201:
            tally.error('create: %d %s' % (resp.status, resp.body[:120]))
            return
        image_id = json.loads(resp.body)['id']
        resp = conn.request(httpclient.build_request('DELETE', '/v2/images/%s' % image_id))
        if resp.status != 204:
            tally.error('delete: %d %s' % (resp.status, resp.body[:120]))
        elif counting:
            tally.ok(time.monotonic() - began)

    return timed_loop(spec, step)


def _body_chunks(block, size, chunked):
    sent = 0
    while sent < size:
        piece = block[:min(BLOCK, size - sent)]
        sent += len(piece)
        if chunked:
            yield b'%x\r\n' % len(piece)
            yield piece
            yield b'\r\n'
        else:
            yield piece
    if chunked:
        yield b'0\r\n\r\n'


def _upload_one(conn, api, size, chunked, block, n):
    length = {'Transfer-Encoding': 'chunked'} if chunked else {'Content-Length': str(size)}
    if api == 'v1':
        headers = {'Content-Type': 'application/octet-stream',
                   'x-image-meta-name': 'bench-upload-%d' % n,
                   'x-image-meta-disk_format': 'raw',
                   'x-image-meta-container_format': 'bare', **length}
        resp = conn.request(httpclient.build_request('POST', '/v1/images', headers),
                            _body_chunks(block, size, chunked))
        if resp.status != 201:
            raise ValueError('v1 upload: %d %s' % (resp.status, resp.body[:200]))
        image = json.loads(resp.body)['image']
        return image['id'], image['checksum']
    body = json.dumps({'name': 'bench-upload-%d' % n, 'disk_format': 'raw',
                       'container_format': 'bare'}).encode()
    resp = conn.request(httpclient.build_request('POST', '/v2/images', _JSON, body))
    if resp.status != 201:
        raise ValueError('v2 create: %d %s' % (resp.status, resp.body[:200]))
    image_id = json.loads(resp.body)['id']
    headers = {'Content-Type': 'application/octet-stream', **length}
    resp = conn.request(
        httpclient.build_request('PUT', '/v2/images/%s/file' % image_id, headers),
        _body_chunks(block, size, chunked))
    if resp.status != 204:
        raise ValueError('v2 upload: %d %s' % (resp.status, resp.body[:200]))
    resp = conn.request(httpclient.build_request('GET', '/v2/images/%s' % image_id))
    return image_id, json.loads(resp.body)['checksum']


def upload_workload(spec):
    """``connections`` uploads of ``size`` bytes at once; returns their ids, checksums
    and the wall time until the last one finished."""
    block = payload_block(spec['seed'])
    tally, images = Tally(), [None] * spec['connections']

    def worker(i):
        conn = httpclient.Connection(spec['host'], spec['port'])
        began = time.monotonic()
        try:
            images[i] = _upload_one(conn, spec['api'], spec['size'], spec['chunked'],
                                    block, i)
            tally.ok(time.monotonic() - began)
        except (OSError, httpclient.HttpError, ValueError, KeyError) as e:
            tally.error('%s: %s' % (type(e).__name__, e))
        conn.close()

    began = time.monotonic()
    run_threads(spec['connections'], worker)
    result = tally.summary(time.monotonic() - began)
    result['images'] = [{'id': i[0], 'checksum': i[1]} if i else None for i in images]
    return result


def download_workload(spec):
    """GET every path in ``spec['paths']`` at once (one connection each), counting
    the bytes against ``expect_bytes``."""
    tally = Tally()

    def worker(i):
        conn = httpclient.Connection(spec['host'], spec['port'])
        began = time.monotonic()
        try:
            resp = conn.request(httpclient.build_request('GET', spec['paths'][i]),
                                keep_body=False)
            if resp.status != 200 or resp.length != spec['expect_bytes']:
                tally.error('download: %d, %d bytes' % (resp.status, resp.length))
            else:
                tally.ok(time.monotonic() - began)
        except (OSError, httpclient.HttpError, ValueError) as e:
            tally.error('%s: %s' % (type(e).__name__, e))
        conn.close()

    began = time.monotonic()
    run_threads(len(spec['paths']), worker)
    return tally.summary(time.monotonic() - began)


WORKLOADS = {'requests': requests_workload, 'create_delete': create_delete_workload,
             'upload': upload_workload, 'download': download_workload}


def main():
    spec = json.load(sys.stdin)
    result = WORKLOADS[spec['kind']](spec)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result['client_cpu_s'] = round(usage.ru_utime + usage.ru_stime, 3)
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main()
