"""The measurements: baselines, and the same workloads against a real deployment.

Every measurement returns a flat dict of numbers; the caller repeats it and keeps the
medians.  Server CPU is the user + system time of every process of glance-api and
glance-registry (masters and workers) across the workload; peak RSS is glance-api's
worker's.  The client is always :mod:`tools.bench.loadgen` in a process of its own.
"""
import contextlib
import hashlib
import json
import os
import resource
import subprocess
import sys
import time

from tests.functional import deployment, fixtures
from tools.bench import httpclient, loadgen, procstat, seed

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GIB = 1 << 30
MIB = 1 << 20
CONNECTIONS = 16


def run_loadgen(spec):
    """Run one workload in a loadgen process; its JSON result."""
    proc = subprocess.run([sys.executable, '-m', 'tools.bench.loadgen'], cwd=REPO,
                          input=json.dumps(spec), capture_output=True, text=True,
                          timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError('loadgen failed: %s' % proc.stderr[-2000:])
    return json.loads(proc.stdout)


# ------------------------------------------------------------------ baselines

def hash_baseline(size):
    """CPU seconds per GiB of md5 and of sha512 over ``size`` bytes already in memory
    (a 64 MiB buffer, larger than the CPU caches, hashed repeatedly)."""
    buf = os.urandom(min(size, 64 * MIB))
    result = {}
    for name in ('md5', 'sha512'):
        digest = hashlib.new(name)
        began = time.process_time()
        for _ in range(size // len(buf)):
            digest.update(buf)
        result['%s_cpu_s_per_gib' % name] = (time.process_time() - began) * GIB / size
    result['md5_sha512_cpu_s_per_gib'] = (result['md5_cpu_s_per_gib']
                                          + result['sha512_cpu_s_per_gib'])
    slower = max(result['md5_cpu_s_per_gib'], result['sha512_cpu_s_per_gib'])
    result['slower_hash_gib_per_s'] = 1 / slower
    return result


def dd_baseline(workdir, size):
    """``dd`` of ``size`` bytes from /dev/zero to the file store's disk, fsynced: its
    rate, and the CPU it takes (nearly all kernel time: the page cache and the flush,
    which every upload's server CPU includes too)."""
    target = os.path.join(workdir, 'dd.bin')
    cpu = _children_cpu()
    began = time.monotonic()
    subprocess.run(['dd', 'if=/dev/zero', 'of=%s' % target, 'bs=1M',
                    'count=%d' % (size // MIB), 'conv=fsync'], check=True,
                   capture_output=True)
    seconds = time.monotonic() - began
    cpu = _children_cpu() - cpu
    os.unlink(target)
    return {'dd_gib_per_s': size / GIB / seconds, 'dd_cpu_s_per_gib': cpu * GIB / size}


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class HelloServer:
    """A baseline server process from :mod:`tools.bench.hello`."""

    def __init__(self, workdir, name, upstream=None):
        self.port_file = os.path.join(workdir, '%s.port' % name)
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)  # an earlier run's
        args = [sys.executable, '-m', 'tools.bench.hello', self.port_file]
        if upstream is not None:
            args.append(str(upstream.port))
        self.process = subprocess.Popen(args, cwd=REPO)
        self.port = int(fixtures.wait_for(lambda: _read(self.port_file),
                                          message='%s to listen' % name))

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=15)


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def hello_baselines(workdir, duration):
    """Requests/s and latencies of the one-hop and two-hop hello-world apps."""
    back = HelloServer(workdir, 'hello')
    front = HelloServer(workdir, 'two-hop', upstream=back)
    result = {}
    try:
        for key, server in (('hello', back), ('two_hop', front)):
            stats = run_loadgen({'kind': 'requests', 'host': '127.0.0.1',
                                 'port': server.port, 'connections': CONNECTIONS,
                                 'duration': duration,
                                 'requests': [{'method': 'GET', 'path': '/'}]})
            result.update(_prefixed(key, stats, ('rps', 'p50_ms', 'p99_ms', 'errors',
                                                 'client_cpu_s')))
    finally:
        front.stop()
        back.stop()
    return result


def _prefixed(prefix, stats, keys):
    return {'%s_%s' % (prefix, k): stats[k] for k in keys}


# ------------------------------------------------------------------ deployment

class Deployment:
    """A registry + api pair (SQLite, file store, one worker each) to measure."""

    def __init__(self, workdir, flavor=None):
        api_conf = {'DEFAULT': {'workers': '1'}}
        if flavor == 'caching':
            api_conf['DEFAULT']['image_cache_dir'] = os.path.join(workdir, 'cache')
        self.dep = deployment.Deployment(workdir, api_conf=api_conf,
                                         registry_conf={'DEFAULT': {'workers': '1'}},
                                         flavor=flavor)

    def start(self):
        self.dep.start()
        self.api_worker = fixtures.wait_for(
            lambda: (procstat.children(self.dep.api.pid) or [None])[0],
            message='the glance-api worker')
        self.registry_worker = fixtures.wait_for(
            lambda: (procstat.children(self.dep.registry.pid) or [None])[0],
            message='the glance-registry worker')
        return self

    def stop(self):
        self.dep.stop()

    @property
    def port(self):
        return self.dep.api.port

    @property
    def db_url(self):
        return self.dep.db_url

    def server_pids(self):
        return procstat.tree(self.dep.api.pid) + procstat.tree(self.dep.registry.pid)

    def workers(self):
        return {'glance-api': self.api_worker, 'glance-registry': self.registry_worker}

    def spec(self, **spec):
        return dict(spec, host='127.0.0.1', port=self.port)

    def measured(self, spec):
        """Run ``spec``; the loadgen's result plus server CPU seconds and the api
        worker's peak RSS over the run."""
        pids = self.server_pids()
        cpu = procstat.total_cpu(pids)
        with procstat.PeakSampler(self.api_worker) as peak:
            result = run_loadgen(self.spec(**spec))
        result['server_cpu_s'] = procstat.total_cpu(pids) - cpu
        result['peak_rss_mib'] = peak.peak
        return result

    def delete(self, image_ids):
        conn = httpclient.Connection('127.0.0.1', self.port)
        for image_id in image_ids:
            conn.request(httpclient.build_request('DELETE', '/v2/images/%s' % image_id))
        conn.close()


# ------------------------------------------------------------------ bytes

class Payloads:
    """The MD5 of each upload size (the loadgen repeats one seeded block)."""

    SEED = 7

    def __init__(self):
        self._md5 = {}

    def md5(self, size):
        if size not in self._md5:
            block = loadgen.payload_block(self.SEED)
            digest = hashlib.md5()
            for _ in range(size // loadgen.BLOCK):
                digest.update(block)
            self._md5[size] = digest.hexdigest()
        return self._md5[size]


def upload(dep, payloads, api, size, chunked, connections=1):
    """Upload ``connections`` images of ``size`` at once: (metrics, image ids)."""
    result = dep.measured({'kind': 'upload', 'api': api, 'size': size, 'chunked': chunked,
                           'connections': connections, 'seed': Payloads.SEED})
    images = [i for i in result['images'] if i]
    wrong = [i for i in images if i['checksum'] != payloads.md5(size)]
    errors = result['errors'] + len(wrong)
    total = size * len(images)
    metrics = {'wall_s': result['seconds'], 'errors': errors,
               'gib_per_s': total / GIB / result['seconds'] if total else 0.0,
               'cpu_s_per_gib': result['server_cpu_s'] * GIB / total if total else None,
               'peak_rss_mib': result['peak_rss_mib']}
    if result['error_samples'] or wrong:
        metrics['error_samples'] = result['error_samples'] + [
            'checksum %s != %s' % (i['checksum'], payloads.md5(size)) for i in wrong]
    return metrics, [i['id'] for i in images]


def download(dep, paths, size):
    result = dep.measured({'kind': 'download', 'paths': paths, 'expect_bytes': size})
    total = size * result['requests']
    metrics = {'wall_s': result['seconds'], 'errors': result['errors'],
               'gib_per_s': total / GIB / result['seconds'] if total else 0.0,
               'cpu_s_per_gib': result['server_cpu_s'] * GIB / total if total else None,
               'peak_rss_mib': result['peak_rss_mib']}
    if result['error_samples']:
        metrics['error_samples'] = result['error_samples']
    return metrics


def image_file_path(api, image_id):
    return '/v1/images/%s' % image_id if api == 'v1' else '/v2/images/%s/file' % image_id


def transfers(dep, payloads, size, small_size):
    """Upload (chunked and Content-Length) and download back, through v1 and v2, at
    ``size``; plus one ``small_size`` round trip per API for the RSS growth."""
    out = {}
    for api in ('v1', 'v2'):
        small_up, small_ids = upload(dep, payloads, api, small_size, chunked=True)
        small_down = download(dep, [image_file_path(api, i) for i in small_ids], small_size)
        dep.delete(small_ids)
        for mode, chunked in (('chunked', True), ('length', False)):
            up, ids = upload(dep, payloads, api, size, chunked)
            out.update(_prefixed('upload_%s_%s' % (api, mode), up, up.keys()))
            if mode == 'length':
                down = download(dep, [image_file_path(api, i) for i in ids], size)
                out.update(_prefixed('download_%s' % api, down, down.keys()))
                large_peak = max(up['peak_rss_mib'], down['peak_rss_mib'])
                small_peak = max(small_up['peak_rss_mib'], small_down['peak_rss_mib'])
                out['rss_growth_%s_mib' % api] = large_peak - small_peak
            dep.delete(ids)
    return out


def concurrent_transfers(dep, payloads, size):
    """16 uploads of ``size`` at once (v2, chunked), then the 16 downloads at once."""
    idle = procstat.rss_mib(dep.api_worker)
    up, ids = upload(dep, payloads, 'v2', size, chunked=True, connections=CONNECTIONS)
    down = download(dep, [image_file_path('v2', i) for i in ids], size) if ids else \
        {'errors': CONNECTIONS, 'peak_rss_mib': idle, 'gib_per_s': 0.0,
         'cpu_s_per_gib': None}
    dep.delete(ids)
    out = _prefixed('concurrent_upload', up, up.keys())
    out.update(_prefixed('concurrent_download', down, down.keys()))
    out['concurrent_rss_growth_mib'] = max(up['peak_rss_mib'], down['peak_rss_mib']) - idle
    return out


def cached_download(dep, payloads, size, around_hit=contextlib.nullcontext()):
    """A v2 download served from the image cache (filled by a first download)."""
    _, ids = upload(dep, payloads, 'v2', size, chunked=False)
    path = image_file_path('v2', ids[0])
    download(dep, [path], size)  # a miss: fills the cache
    fixtures.wait_for(lambda: os.path.exists(
        os.path.join(dep.dep.workdir, 'cache', ids[0])), message='the cache to fill')
    with around_hit:
        hit = download(dep, [path], size)
    dep.delete(ids)
    return _prefixed('download_cache', hit, hit.keys())


# ------------------------------------------------------------------ metadata

def seed_images(dep, start, count):
    return seed.seed(dep.db_url, start, count)


def metadata_requests(ids):
    """The loadgen requests of each metadata workload (ids rotate to avoid a hot row)."""
    sample = ids[:: max(1, len(ids) // 64)][:64]
    return {
        'get_v2': [{'method': 'GET', 'path': '/v2/images/%s' % i} for i in sample],
        'head_v1': [{'method': 'HEAD', 'path': '/v1/images/%s' % i} for i in sample],
        'list_v2': [{'method': 'GET', 'path': '/v2/images?limit=25'}],
        'list_v1': [{'method': 'GET', 'path': '/v1/images?limit=25'}],
    }


def metadata(dep, ids, count, duration, only=None):
    out = {}
    for name, requests in metadata_requests(ids).items():
        if only not in (None, name):
            continue
        stats = dep.measured({'kind': 'requests', 'connections': CONNECTIONS,
                              'duration': duration, 'requests': requests})
        out.update(_prefixed('%s_%d' % (name, count), stats,
                             ('rps', 'p50_ms', 'p99_ms', 'errors', 'client_cpu_s')))
    return out


def scale_lists(dep, count, duration, only=None):
    """Filtered (``name=``) and sorted (``created_at``) lists at ``count`` images, one
    connection (latency, not throughput)."""
    names = [seed.image_name(i) for i in range(0, count, max(1, count // 50))]
    workloads = {
        'filtered_v2': [{'method': 'GET', 'path': '/v2/images?name=%s' % n} for n in names],
        'sorted_v2': [{'method': 'GET',
                       'path': '/v2/images?sort_key=created_at&sort_dir=desc&limit=25'}],
        'filtered_v1': [{'method': 'GET', 'path': '/v1/images/detail?name=%s' % n}
                        for n in names],
        'sorted_v1': [{'method': 'GET', 'path': '/v1/images/detail?sort_key=created_at'
                                                '&sort_dir=asc&limit=25'}],
    }
    out = {}
    for name, requests in workloads.items():
        if only not in (None, name):
            continue
        stats = dep.measured({'kind': 'requests', 'connections': 1, 'duration': duration,
                              'requests': requests})
        out.update(_prefixed(name, stats, ('rps', 'p50_ms', 'p99_ms', 'errors')))
    return out


def create_delete(dep, duration):
    stats = dep.measured({'kind': 'create_delete', 'connections': CONNECTIONS,
                          'duration': duration})
    out = _prefixed('create_delete', stats, ('rps', 'p50_ms', 'p99_ms', 'errors'))
    if stats['error_samples']:
        out['create_delete_error_samples'] = stats['error_samples']
    return out


# ------------------------------------------------------------------ profiling

SCALE_WORKLOADS = ('filtered_v2', 'sorted_v2', 'filtered_v1', 'sorted_v1')


def rerun(workload, dep, payloads, ids, args, around):
    """Run the workload a target is judged on once more, ``around`` (a py-spy
    recording) covering only the part that is judged.  Metadata workloads run at the
    number of images seeded last."""
    size = args.size_mib * MIB
    if workload.startswith('upload_'):
        _, api, mode = workload.split('_')
        with around:
            _, image_ids = upload(dep, payloads, api, size, mode == 'chunked')
        dep.delete(image_ids)
    elif workload in ('download_v1', 'download_v2'):
        api = workload.rsplit('_', 1)[1]
        _, image_ids = upload(dep, payloads, api, size, chunked=False)
        with around:
            download(dep, [image_file_path(api, i) for i in image_ids], size)
        dep.delete(image_ids)
    elif workload == 'concurrent':
        with around:
            concurrent_transfers(dep, payloads, args.concurrent_mib * MIB)
    elif workload == 'create_delete':
        with around:
            create_delete(dep, args.duration)
    elif workload in SCALE_WORKLOADS:
        with around:
            scale_lists(dep, len(ids), args.duration, only=workload)
    else:
        op = workload.rsplit('_', 1)[0]
        with around:
            metadata(dep, ids, len(ids), args.duration, only=op)
