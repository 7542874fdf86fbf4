"""glance-replicator between two real deployments, over Images API v1 and v2.

Every test starts a source and a target deployment (registry + api each), fills the
source through the API, runs the real console script and checks, through the target's
API, ids, metadata and the bytes of every copy against the source.
"""
import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
import requests

from tests.functional import deployment, fixtures

REPLICATOR = fixtures.venv_bin('glance-replicator')
BIG = os.urandom(300 * 1024 + 17)
SMALL = os.urandom(1000)


def replicate(*args, api=1):
    argv = [REPLICATOR] + [str(a) for a in args]
    if api == 2:
        argv += ['--api-version', '2']
    return subprocess.run(argv, capture_output=True, text=True, timeout=180)


def address(dep):
    return '127.0.0.1:%d' % dep.api.port


def line_for(result, image_id):
    """The progress line of one image."""
    lines = [ln for ln in result.stdout.splitlines() if '] %s (' % image_id in ln]
    assert len(lines) == 1, result.stdout
    return lines[0]


def outcome_of(result, image_id):
    return re.match(r'\[\d+/\d+\] \S+ \(.*?\): (\w+)', line_for(result, image_id)).group(1)


class V1:
    """The test's own v1 client for one deployment (not the replicator's code)."""

    version = 1
    TIMESTAMPS = ('created_at', 'updated_at', 'deleted_at')

    def __init__(self, dep):
        self.dep = dep
        self.url = dep.url + '/v1/images'

    def create(self, name, data=None, public=False, properties=None, **fields):
        headers = {'x-image-meta-name': name, 'x-image-meta-disk_format': 'raw',
                   'x-image-meta-container_format': 'bare',
                   'x-image-meta-is_public': str(public)}
        for key, value in fields.items():
            headers['x-image-meta-' + key] = str(value)
        for key, value in (properties or {}).items():
            headers['x-image-meta-property-' + key] = value
        if data is not None:
            headers['Content-Type'] = 'application/octet-stream'
        resp = requests.post(self.url, headers=headers, data=data, timeout=30)
        assert resp.status_code == 201, resp.text
        return resp.json()['image']['id']

    def create_empty(self, name):
        return self.create(name, size=0)

    def change(self, image_id, name, add=None, remove=()):
        props = dict(self.records()[image_id]['properties'], **(add or {}))
        headers = {'x-image-meta-name': name, 'x-glance-registry-purge-props': 'true'}
        for key, value in props.items():
            if key not in remove:
                headers['x-image-meta-property-' + key] = value
        resp = requests.put('%s/%s' % (self.url, image_id), headers=headers, timeout=30)
        assert resp.status_code == 200, resp.text

    def records(self, raw=False):
        resp = requests.get(self.url + '/detail?is_public=None&limit=1000', timeout=30)
        assert resp.status_code == 200, resp.text
        return {i['id']: i if raw else self._comparable(i) for i in resp.json()['images']}

    def _comparable(self, record):
        return {k: v for k, v in record.items() if k not in self.TIMESTAMPS}

    def status(self, image_id):
        resp = requests.head('%s/%s' % (self.url, image_id), timeout=30)
        return resp.headers.get('x-image-meta-status') if resp.status_code == 200 else None

    def data(self, image_id):
        resp = requests.get('%s/%s' % (self.url, image_id), timeout=30)
        return resp.content if resp.status_code == 200 else None


class V2(V1):
    """The same over v2."""

    version = 2
    TIMESTAMPS = ('created_at', 'updated_at')

    def __init__(self, dep):
        self.dep = dep
        self.url = dep.url + '/v2/images'

    def create(self, name, data=None, public=False, properties=None, **fields):
        body = dict(fields, name=name, disk_format='raw', container_format='bare',
                    visibility='public' if public else 'private', **(properties or {}))
        resp = requests.post(self.url, json=body, timeout=30)
        assert resp.status_code == 201, resp.text
        image_id = resp.json()['id']
        if data is not None:
            resp = requests.put('%s/%s/file' % (self.url, image_id), data=data, timeout=30,
                                headers={'Content-Type': 'application/octet-stream'})
            assert resp.status_code == 204, resp.text
        return image_id

    def create_empty(self, name):
        return self.create(name, data=b'')

    def change(self, image_id, name, add=None, remove=()):
        ops = [{'op': 'replace', 'path': '/name', 'value': name}]
        ops += [{'op': 'add', 'path': '/' + k, 'value': v} for k, v in (add or {}).items()]
        ops += [{'op': 'remove', 'path': '/' + k} for k in remove]
        resp = requests.patch('%s/%s' % (self.url, image_id), json=ops, timeout=30,
                              headers={'Content-Type':
                                       'application/openstack-images-v2.1-json-patch'})
        assert resp.status_code == 200, resp.text

    def records(self, raw=False):
        found = {}
        for hidden in ('false', 'true'):
            resp = requests.get(self.url + '?limit=1000&os_hidden=' + hidden, timeout=30)
            assert resp.status_code == 200, resp.text
            found.update((i['id'], i if raw else self._comparable(i))
                         for i in resp.json()['images'])
        return found

    def status(self, image_id):
        resp = requests.get('%s/%s' % (self.url, image_id), timeout=30)
        return resp.json()['status'] if resp.status_code == 200 else None

    def data(self, image_id):
        resp = requests.get('%s/%s/file' % (self.url, image_id), timeout=30)
        return resp.content if resp.status_code == 200 else None


SIDES = {1: V1, 2: V2}


def populate(side):
    """Three active images (one empty) and one reserved: ``{name: id}``, and the data."""
    ids = {
        'cirros': side.create('cirros', BIG, public=True, owner='tenant-a', min_ram=64,
                              properties={'os_distro': 'cirros', 'hw_disk_bus': 'scsi'}),
        'private': side.create('private', SMALL, owner='tenant-b', protected=True,
                               properties={'description': 'only mine'}),
        'empty': side.create_empty('empty'),
        'reserved': side.create('reserved'),
    }
    if side.version == 2:
        ids['hidden'] = side.create('hidden', SMALL, os_hidden=True)
    data = {ids['cirros']: BIG, ids['private']: SMALL, ids['empty']: b''}
    if 'hidden' in ids:
        data[ids['hidden']] = SMALL
    return ids, data


@pytest.fixture
def deployments(tmp_path):
    """``start(*target_conf)`` → started (source, target) deployments, stopped after."""
    started = []

    def start(target_api_conf=None):
        pair = [deployment.Deployment(tmp_path / 'source'),
                deployment.Deployment(tmp_path / 'target', api_conf=target_api_conf)]
        started.extend(pair)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda d: d.start(), pair))
        return pair

    yield start
    for dep in started:
        dep.stop()


@pytest.fixture(params=[1, 2], ids=['v1', 'v2'])
def api(request):
    return request.param


def assert_copied(source, target, data, absent=()):
    """The target has every image of ``data`` with the source's metadata and bytes."""
    theirs = target.records()
    ours = source.records()
    for image_id, content in data.items():
        assert theirs.get(image_id) == ours[image_id]
        copy = target.data(image_id)
        assert copy == content
        if ours[image_id]['checksum']:
            assert hashlib.md5(copy).hexdigest() == ours[image_id]['checksum']
    for image_id in absent:
        assert target.status(image_id) is None


def test_livecopy_copies_every_active_image_once(deployments, api):
    source_dep, target_dep = deployments()
    source, target = SIDES[api](source_dep), SIDES[api](target_dep)
    ids, data = populate(source)
    src, dst = address(source_dep), address(target_dep)

    size = replicate('size', src, api=api)
    assert size.returncode == 0, size.stderr
    total = sum(len(d) for d in data.values())
    assert size.stdout == 'Total size is %d bytes (%.1f KiB) across %d images\n' % (
        total, total / 1024.0, len(data))

    before = replicate('compare', src, dst, api=api)
    assert before.returncode == 2, before.stderr
    for image_id in data:
        assert outcome_of(before, image_id) == 'missing'
    assert outcome_of(before, ids['reserved']) == 'skipped'

    copy = replicate('livecopy', src, dst, '-c', 4096, api=api)
    assert copy.returncode == 0, copy.stdout + copy.stderr
    for image_id in data:
        assert outcome_of(copy, image_id) == 'copied'
    checksum = hashlib.md5(BIG).hexdigest()
    assert '%d bytes, checksum %s' % (len(BIG), checksum) in line_for(copy, ids['cirros'])
    assert line_for(copy, ids['cirros']).endswith(' verified')
    assert outcome_of(copy, ids['reserved']) == 'skipped'
    summary = copy.stdout.splitlines()[-1]
    assert summary.startswith('livecopy: %d images: ' % len(ids))
    assert '1 skipped' in summary and '%d copied' % len(data) in summary
    assert summary.endswith('; %d bytes (%.1f KiB) transferred' % (total, total / 1024.0))
    assert_copied(source, target, data, absent=[ids['reserved']])
    assert target.records()[ids['cirros']]['owner'] == 'tenant-a'

    # A second run finds nothing to do and touches nothing.
    stamps = target.records(raw=True)
    again = replicate('livecopy', src, dst, api=api)
    assert again.returncode == 0, again.stdout + again.stderr
    for image_id in data:
        assert outcome_of(again, image_id) == 'unchanged'
    assert target.records(raw=True) == stamps

    after = replicate('compare', src, dst, api=api)
    assert after.returncode == 0, after.stdout + after.stderr
    for image_id in data:
        assert outcome_of(after, image_id) == 'identical'


def test_livecopy_brings_changed_metadata_in_line(deployments, api):
    source_dep, target_dep = deployments()
    source, target = SIDES[api](source_dep), SIDES[api](target_dep)
    ids, data = populate(source)
    src, dst = address(source_dep), address(target_dep)
    # A queued image with the same id (an earlier copy cut short, say) gets the data.
    target.create('placeholder', id=ids['cirros'])
    first = replicate('livecopy', src, dst, api=api)
    assert first.returncode == 0, first.stdout + first.stderr
    assert outcome_of(first, ids['cirros']) == 'uploaded'
    assert ('%d bytes, checksum %s' % (len(BIG), hashlib.md5(BIG).hexdigest())
            in line_for(first, ids['cirros']))
    if api == 2:  # v1 sends the metadata with the data, v2 patches it afterwards
        assert line_for(first, ids['cirros']).endswith(
            'verified; changed hw_disk_bus, min_ram, name, os_distro, owner, visibility')
    assert_copied(source, target, data)

    source.change(ids['cirros'], 'cirros-0.6', add={'os_version': '0.6'},
                  remove=['hw_disk_bus'])
    fresh = source.create('fresh', SMALL)

    diff = replicate('compare', src, dst, api=api)
    assert diff.returncode == 2
    assert outcome_of(diff, ids['cirros']) == 'different'
    assert 'name' in line_for(diff, ids['cirros'])
    assert outcome_of(diff, fresh) == 'missing'
    assert "source is 'cirros-0.6', target is 'cirros'" in diff.stderr

    meta = replicate('livecopy', '--metaonly', src, dst, api=api)
    assert meta.returncode == 0, meta.stdout + meta.stderr
    assert outcome_of(meta, ids['cirros']) == 'updated'
    assert outcome_of(meta, fresh) == 'skipped'
    assert target.status(fresh) is None
    assert target.records()[ids['cirros']] == source.records()[ids['cirros']]

    full = replicate('livecopy', src, dst, api=api)
    assert full.returncode == 0, full.stdout + full.stderr
    assert outcome_of(full, fresh) == 'copied'
    assert outcome_of(full, ids['cirros']) == 'unchanged'
    assert_copied(source, target, dict(data, **{fresh: SMALL}))


def test_dump_then_load(deployments, api, tmp_path):
    source_dep, target_dep = deployments()
    source, target = SIDES[api](source_dep), SIDES[api](target_dep)
    ids, data = populate(source)
    dump_dir = tmp_path / 'dump'
    dump_dir.mkdir()

    dump = replicate('dump', address(source_dep), dump_dir, api=api)
    assert dump.returncode == 0, dump.stdout + dump.stderr
    records = source.records(raw=True)
    expected_files = set(records) | {i + '.img' for i in data}
    assert set(os.listdir(dump_dir)) == expected_files  # no temporary files left
    for image_id, record in records.items():
        assert json.loads((dump_dir / image_id).read_text()) == record
    for image_id, content in data.items():
        assert (dump_dir / (image_id + '.img')).read_bytes() == content

    again = replicate('dump', address(source_dep), dump_dir, api=api)
    assert again.returncode == 0
    assert {outcome_of(again, i) for i in records} == {'unchanged'}

    meta_dir = tmp_path / 'meta'
    meta_dir.mkdir()
    assert replicate('dump', '-m', address(source_dep), meta_dir, api=api).returncode == 0
    assert set(os.listdir(meta_dir)) == set(records)

    load = replicate('load', address(target_dep), dump_dir, api=api)
    assert load.returncode == 0, load.stdout + load.stderr
    for image_id in data:
        assert outcome_of(load, image_id) == 'copied'
    assert outcome_of(load, ids['reserved']) == 'skipped'
    assert_copied(source, target, data, absent=[ids['reserved']])

    reload = replicate('load', address(target_dep), dump_dir, api=api)
    assert reload.returncode == 0
    assert {outcome_of(reload, i) for i in data} == {'unchanged'}

    # A v1 dump is not a v2 one, and the other way round.
    other = replicate('load', address(target_dep), dump_dir, api=3 - api)
    assert other.returncode == 2
    assert 'dumped with --api-version %d?' % api in line_for(other, ids['cirros'])


def _flip_a_byte(path):
    with open(path, 'r+b') as f:
        first = f.read(1)
        f.seek(0)
        f.write(bytes([first[0] ^ 0xFF]))


def test_data_that_does_not_match_its_checksum_is_never_copied(deployments, api, tmp_path):
    source_dep, target_dep = deployments()
    source, target = SIDES[api](source_dep), SIDES[api](target_dep)
    ids, data = populate(source)
    dump_dir = tmp_path / 'dump'
    dump_dir.mkdir()
    assert replicate('dump', address(source_dep), dump_dir, api=api).returncode == 0

    # A damaged dump file is refused before the target hears of the image.
    _flip_a_byte(dump_dir / (ids['private'] + '.img'))
    load = replicate('load', address(target_dep), dump_dir, api=api)
    assert load.returncode == 2
    assert outcome_of(load, ids['private']) == 'failed'
    assert 'checksum' in line_for(load, ids['private'])
    assert target.status(ids['private']) is None
    assert outcome_of(load, ids['cirros']) == 'copied'
    assert load.stdout.splitlines()[-1].startswith('load: %d images' % len(ids))

    # Damaged data in the source's store: the upload is cut short, so the target
    # never activates the image (v1 marks it killed, v2 keeps it queued).
    _flip_a_byte(os.path.join(source_dep.datadir, ids['private']))
    copy = replicate('livecopy', address(source_dep), address(target_dep), api=api)
    assert copy.returncode == 2
    assert outcome_of(copy, ids['private']) == 'failed'
    assert 'does not match the recorded' in line_for(copy, ids['private'])
    assert target.status(ids['private']) in (None, 'killed', 'queued')
    assert target.data(ids['private']) in (None, b'')
    assert 'ERROR' in copy.stderr


def test_an_image_the_target_refuses_fails_alone(deployments, api, tmp_path):
    source_dep, target_dep = deployments(
        target_api_conf={'DEFAULT': {'image_size_cap': str(len(BIG) - 1)}})
    source, target = SIDES[api](source_dep), SIDES[api](target_dep)
    ids, data = populate(source)
    log = tmp_path / 'replicator.log'

    copy = replicate('livecopy', address(source_dep), address(target_dep), '-l', log,
                     api=api)
    assert copy.returncode == 2
    assert outcome_of(copy, ids['cirros']) == 'failed'
    assert re.search(r'answered 4\d\d', line_for(copy, ids['cirros']))
    assert copy.stderr == ''  # the log file has it
    assert 'ERROR glance_lite.replicator.commands' in log.read_text()
    assert target.status(ids['cirros']) != 'active'
    del data[ids['cirros']]
    assert_copied(source, target, data)


def _max_rss_kib(argv):
    """Peak resident memory (KiB) of ``argv`` run to completion, via a wrapper process."""
    probe = ('import resource, subprocess, sys\n'
             'code = subprocess.run(sys.argv[1:], capture_output=True).returncode\n'
             'print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n')
    out = subprocess.run([sys.executable, '-c', probe] + argv, capture_output=True,
                         text=True, timeout=300, check=True).stdout.split()
    assert out[0] == '0'
    return int(out[1])


def test_memory_stays_flat_whatever_the_image_size(deployments, tmp_path):
    source_dep, target_dep = deployments()
    source = V1(source_dep)
    small = source.create('small', SMALL)
    src, dst = address(source_dep), address(target_dep)
    baseline = _max_rss_kib([REPLICATOR, 'dump', src, str(tmp_path)])

    big = os.path.join(tmp_path, 'big.img')
    with open(big, 'wb') as f:
        for _ in range(64):
            f.write(os.urandom(1024 * 1024))
    with open(big, 'rb') as f:
        large = source.create('large', f)
    peak = _max_rss_kib([REPLICATOR, 'livecopy', src, dst])
    # Holding the 64 MiB image would add 64 MiB; streaming adds next to nothing.
    assert peak - baseline < 16 * 1024, (baseline, peak)
    assert V1(target_dep).status(large) == 'active'
    assert V1(target_dep).status(small) == 'active'


# -- failures that stop the command ------------------------------------------------------

def test_unreachable_server_is_one_clear_error(tmp_path):
    port = fixtures.free_port()
    result = replicate('size', '127.0.0.1:%d' % port)
    assert result.returncode == 1
    assert result.stdout == ''
    assert result.stderr.startswith(
        'ERROR: Connection to the source server at 127.0.0.1:%d failed:' % port)
    assert 'Traceback' not in result.stderr


def test_dump_directory_must_exist(tmp_path):
    missing = tmp_path / 'nowhere'
    result = replicate('dump', '127.0.0.1:%d' % fixtures.free_port(), missing)
    assert result.returncode == 1
    assert result.stderr == 'ERROR: %s is not a directory (the dump directory must ' \
                            'exist)\n' % missing


def test_usage_errors():
    none = replicate()
    assert (none.returncode, none.stderr) == (1, 'Please specify one command\n')
    unknown = replicate('frobnicate')
    assert (unknown.returncode, unknown.stderr) == (1, 'Unknown command: frobnicate\n')
    short = replicate('livecopy', '127.0.0.1:1')
    assert short.returncode == 1
    assert short.stderr == ('Usage: glance-replicator livecopy [options] <fromserver:port> '
                            '<toserver:port>\nERROR: livecopy takes 2 argument(s), 1 given\n')
    bad = replicate('size', 'localhost')
    assert bad.returncode == 1
    assert "ERROR: Bad server address 'localhost'" in bad.stderr
    helped = replicate('help', 'dump')
    assert helped.returncode == 0
    assert helped.stdout.startswith('Usage: glance-replicator dump [options] <server:port> '
                                    '<path>\n')
    listing = replicate('help')
    assert listing.returncode == 0
    for name in ('compare', 'dump', 'livecopy', 'load', 'size'):
        assert '\n  %s ' % name in listing.stdout


def test_a_refused_token_stops_the_command(tmp_path):
    keystone = 'http://127.0.0.1:%d' % fixtures.free_port()  # nothing listens there
    dep = deployment.Deployment(tmp_path, flavor='keystone', api_conf={
        'keystone_authtoken': {'www_authenticate_uri': keystone, 'auth_url': keystone,
                               'auth_type': 'password', 'username': 'glance',
                               'password': 'secret', 'project_name': 'service',
                               'http_connect_timeout': '1',
                               'http_request_max_retries': '0'}})
    dep.start()
    try:
        result = replicate('size', address(dep), '-t', 'not-a-token')
    finally:
        dep.stop()
    assert result.returncode == 1
    assert result.stderr.startswith('ERROR: Authentication failed at the source server %s '
                                    '(401' % address(dep)), result.stderr
