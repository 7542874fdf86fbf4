"""glance-cache-manage, -pruner, -cleaner and -prefetcher as real console scripts next
to a real glance-api (cli.md §4, §5)."""
import os
import pty
import re
import subprocess
import time
import uuid

import pytest
import requests

from tests.functional import fakekeystone, fixtures
from tests.functional.cache_helpers import CacheDeployment, md5

DATA = os.urandom(1024 * 1024 + 3)


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    d = CacheDeployment(tmp_path_factory.mktemp('cache-tools'))
    d.start()
    yield d
    d.stop()


@pytest.fixture
def empty_cache(dep):
    """The deployment with nothing cached or queued."""
    for prog_args in (('delete-all-cached-images', '-f'), ('delete-all-queued-images', '-f')):
        assert dep.manage(*prog_args).returncode == 0
    return dep


def ok(result):
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def failed(result):
    assert result.returncode == 1, (result.stdout, result.stderr)
    return result.stderr


def cache_by_download(dep, data):
    image_id = dep.upload(data)
    assert dep.download(image_id).content == data
    return image_id


# -- glance-cache-manage -------------------------------------------------------------

def test_queue_commands(empty_cache):
    dep = empty_cache
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert ok(dep.manage('list-queued')) == 'No queued images.\n'

    out = ok(dep.manage('queue-image', first, input='n\n'))
    assert out == 'Queue image %s for caching? [y/N] ' % first
    assert dep.files_in('queue') == []
    out = ok(dep.manage('-v', 'queue-image', first, input='y\n'))
    assert out.startswith('Queue image %s for caching? [y/N] Queued image %s for caching\n'
                          % (first, first))
    assert re.search(r'^Completed in \d+\.\d{4} sec\.$', out, re.M)
    assert ok(dep.manage('queue-image', '-f', second)) == ''

    out = ok(dep.manage('list-queued'))
    assert out.splitlines()[0] == 'Found 2 queued images...'
    assert [line for line in out.splitlines() if first in line or second in line] == [
        '| %s |' % first, '| %s |' % second]  # oldest first

    out = ok(dep.manage('-v', '-f', 'delete-queued-image', first))
    assert out.startswith('Deleted queued image %s\n' % first)
    assert ok(dep.manage('delete-all-queued-images', input='\n')) == \
        'Delete all queued images? [y/N] '
    assert dep.files_in('queue') == [second]
    out = ok(dep.manage('delete-all-queued-images', '-v', input='yes\n'))
    assert out.startswith('Delete all queued images? [y/N] Deleted 1 queued images\n')
    assert dep.files_in('queue') == []


def test_cached_commands(empty_cache):
    dep = empty_cache
    assert ok(dep.manage('list-cached')) == 'No cached images.\n'
    first, second = cache_by_download(dep, DATA), cache_by_download(dep, DATA[:1000])
    os.unlink(dep.store_path(first))
    assert dep.download(first).content == DATA  # one hit

    out = ok(dep.manage('list-cached')).splitlines()
    assert out[0] == 'Found 2 cached images...'
    header = [c.strip() for c in out[2].strip('|').split('|')]
    assert header == ['ID', 'Last Accessed (UTC)', 'Last Modified (UTC)', 'Size', 'Hits']
    rows = {c[0]: c for c in ([c.strip() for c in line.strip('|').split('|')]
                              for line in out[4:] if line.startswith('|'))}
    assert rows[first][3:] == [str(len(DATA)), '1'] and rows[second][3:] == ['1000', '0']
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$', rows[first][1])

    assert ok(dep.manage('delete-cached-image', first, input='n\n')) == \
        'Delete cached image %s? [y/N] ' % first
    assert first in dep.cached_ids()
    out = ok(dep.manage('-v', 'delete-cached-image', first, input='y\n'))
    assert 'Deleted cached image %s\n' % first in out
    assert dep.cached_ids() == [second]
    assert dep.download(first).status_code == 404  # the store had lost it: no cache now
    out = ok(dep.manage('-f', '-v', 'delete-all-cached-images'))
    assert out.startswith('Deleted 1 cached images\n')
    assert dep.cached_ids() == []


@pytest.mark.parametrize('args,message', [
    (['queue-image', 'not-a-uuid'], "Image ID 'not-a-uuid' is not a valid UUID."),
    (['delete-cached-image'], "Please specify the ID of the image you wish for command "
                              "'delete-cached-image' from the cache as the first and only "
                              "argument."),
    (['delete-queued-image', str(uuid.uuid4()), 'extra'],
     "Please specify the ID of the image you wish for command 'delete-queued-image' from "
     "the cache as the first and only argument."),
])
def test_bad_arguments(dep, args, message):
    assert failed(dep.manage('-f', *args)) == message + '\n'


def test_help_and_unknown_commands(dep):
    out = ok(dep.manage('help'))
    assert out.startswith('usage: glance-cache-manage [options] <command> [args]')
    for command in ('list-cached', 'list-queued', 'queue-image', 'delete-cached-image',
                    'delete-all-cached-images', 'delete-queued-image',
                    'delete-all-queued-images'):
        assert '    %s ' % command in out
        assert ok(dep.manage('help', command)).startswith(
            'glance-cache-manage %s ' % command)
    result = dep.manage('fly')
    assert result.returncode == 1
    assert result.stdout.startswith('\nError: "fly" is not a valid command.\n')
    assert result.stderr == 'Unknown command: fly\n'


def test_an_api_without_the_management_filter(tmp_path):
    with CacheDeployment(tmp_path, flavor='caching') as plain:
        assert failed(plain.manage('list-cached')) == \
            'Cache management middleware not enabled on host 127.0.0.1\n'


def test_an_api_that_does_not_answer(dep):
    result = dep.run_tool('glance-cache-manage', '-H', '127.0.0.1', '-p',
                          str(fixtures.free_port()), 'list-queued')
    lines = failed(result).splitlines()
    assert lines[0] == 'Failed to show queued images. Got error:'
    assert 'Connection refused' in lines[1]


def test_keystone_credentials_that_cannot_give_a_token(dep):
    lines = failed(dep.manage('-S', 'keystone', 'list-cached')).splitlines()
    assert lines == ['Failed to show cached images. Got error:',
                     'Keystone authentication needs --os-auth-url, --os-username, '
                     '--os-password']
    nowhere = 'http://127.0.0.1:%d/v3' % fixtures.free_port()
    lines = failed(dep.manage('-N', nowhere, '-I', 'ops', '-K', 'secret', '-T', 'admin',
                              'list-cached')).splitlines()
    assert lines[0] == 'Failed to show cached images. Got error:'
    assert lines[1].startswith('Could not get a token from Keystone at %s: ' % nowhere)


def test_tokens_and_the_admin_rule_behind_keystone(tmp_path):
    tokens = {'admin-token': fakekeystone.identity('ops', roles=('admin',)),
              'member-token': fakekeystone.identity('alice')}
    with fakekeystone.FakeKeystone(tokens) as keystone:
        dep = CacheDeployment(tmp_path, flavor='keystone+cachemanagement',
                              api_conf={'keystone_authtoken': keystone.authtoken_options()})
        with dep:
            assert failed(dep.manage('-A', 'member-token', 'list-cached')) == \
                'Not authorized to make this request.\n'
            assert ok(dep.manage('--os-auth-token', 'admin-token', 'list-cached')) == \
                'No cached images.\n'
            lines = failed(dep.manage('list-cached')).splitlines()
            assert lines[0] == 'Failed to show cached images. Got error:'


# -- glance-cache-pruner -------------------------------------------------------------

def test_pruner_removes_least_recently_used_down_to_the_limit(empty_cache):
    dep = empty_cache
    sizes = {'a': 300000, 'b': 200000, 'c': 100000}
    ids = {name: cache_by_download(dep, os.urandom(size)) for name, size in sizes.items()}
    assert dep.download(ids['a']).status_code == 200  # a hit: "a" is the most recent

    dep.write_cache_conf(image_cache_max_size=str(sizes['a'] + sizes['c']))
    result = dep.run_tool('glance-cache-pruner')
    assert ok(result) == '' and result.stderr == ''
    assert dep.cached_ids() == sorted([ids['a'], ids['c']])
    assert ok(dep.run_tool('glance-cache-pruner')) == ''
    assert dep.cached_ids() == sorted([ids['a'], ids['c']])
    dep.write_cache_conf(image_cache_max_size='0')
    ok(dep.run_tool('glance-cache-pruner'))
    assert dep.cached_ids() == []
    dep.write_cache_conf()


# -- glance-cache-cleaner ------------------------------------------------------------

def test_cleaner_removes_invalid_and_stalled_entries(empty_cache):
    dep = empty_cache
    broken = dep.upload(DATA)
    with open(dep.store_path(broken), 'r+b') as f:
        f.write(b'rot')
    with pytest.raises(requests.RequestException):
        dep.download(broken).content
    assert broken in dep.files_in('invalid')
    incomplete = os.path.join(dep.cache_dir, 'incomplete')
    stalled, fresh = str(uuid.uuid4()), str(uuid.uuid4())
    for name in (stalled, fresh):  # what a writer killed mid-download leaves
        with open(os.path.join(incomplete, name), 'wb') as f:
            f.write(b'partial')
    two_days_ago = time.time() - 2 * 86400
    os.utime(os.path.join(incomplete, stalled), (two_days_ago, two_days_ago))
    kept = cache_by_download(dep, DATA[:5000])

    result = dep.run_tool('glance-cache-cleaner')
    assert ok(result) == '' and result.stderr == ''
    assert dep.files_in('invalid') == []
    assert dep.files_in('incomplete') == [fresh]
    assert dep.cached_ids() == [kept]
    os.unlink(os.path.join(incomplete, fresh))


# -- glance-cache-prefetcher ---------------------------------------------------------

def test_prefetcher_caches_queued_images(empty_cache):
    dep = empty_cache
    images = {dep.upload(data): data for data in (DATA, DATA[:70000])}
    reserved = requests.post(dep.url + '/v1/images', headers={
        'x-image-meta-name': 'no data yet'}).json()['image']['id']
    unknown = str(uuid.uuid4())
    for image_id in list(images) + [reserved, unknown]:
        ok(dep.manage('-f', 'queue-image', image_id))

    result = dep.run_tool('glance-cache-prefetcher')
    assert ok(result) == ''
    warnings = sorted(line.split(' glance_lite.image_cache.prefetcher [-] ')[1]
                      for line in result.stderr.splitlines())
    assert warnings == sorted([
        'Queued image %s is queued, not active; left queued' % reserved,
        'Queued image %s does not exist; removed from the queue' % unknown])
    assert dep.cached_ids() == sorted(images)
    for image_id, data in images.items():
        assert dep.cached_data(image_id) == data
        os.unlink(dep.store_path(image_id))
        assert dep.download(image_id).content == data  # served from the cache
    # Queued but without data yet: stays queued; unknown: dropped.
    assert dep.files_in('queue') == [reserved]
    ok(dep.manage('-f', 'delete-all-queued-images'))


def test_prefetcher_reports_progress_by_hand_and_fails_with_a_message(empty_cache):
    dep = empty_cache
    good, lost = dep.upload(DATA[:1000]), dep.upload(DATA[:2000])
    os.unlink(dep.store_path(lost))
    for image_id in (good, lost):
        ok(dep.manage('-f', 'queue-image', image_id))

    # By hand: stdout is a terminal.
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run([fixtures.venv_bin('glance-cache-prefetcher'), '--config-file',
                               dep.cache_conf_path], stdout=secondary,
                              stderr=subprocess.PIPE, text=True, timeout=120,
                              cwd=dep.workdir, env=dict(os.environ, HOME=dep.workdir))
        os.close(secondary)
        shown = b''
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(primary)
    shown = shown.decode().replace('\r\n', '\n')
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == \
        'ERROR: Could not cache 1 of 2 queued images: %s' % lost
    assert re.search(r'^\[\d/2\] %s: cached \(1000 bytes\)$' % good, shown, re.M)
    assert re.search(r'^\[\d/2\] %s: failed ' % lost, shown, re.M)
    assert shown.splitlines()[-1] == 'Cached 1, skipped 0, failed 1.'
    assert dep.cached_ids() == [good]
    assert dep.files_in('queue') == [lost]  # tried again next time
    ok(dep.manage('-f', 'delete-all-queued-images'))


def test_prefetcher_reads_private_images_as_admin(tmp_path):
    alice = {'X-Identity-Status': 'Confirmed', 'X-Tenant-Id': 'alice',
             'X-User-Id': 'user-alice', 'X-Roles': 'member'}
    admin = dict(alice, **{'X-Tenant-Id': 'ops', 'X-Roles': 'admin'})
    with CacheDeployment(tmp_path, flavor='trusted-auth+cachemanagement',
                         registry_flavor='trusted-auth',
                         api_conf={'DEFAULT': {'send_identity_headers': 'True'}}) as dep:
        image_id = dep.upload(DATA, headers=alice)
        assert requests.put('%s/v2/queued_images/%s' % (dep.url, image_id),
                            headers=admin).status_code == 200
        ok(dep.run_tool('glance-cache-prefetcher'))
        assert dep.cached_data(image_id) == DATA and dep.files_in('queue') == []
        assert md5(dep.cached_data(image_id)) == md5(DATA)


# -- configuration errors ------------------------------------------------------------

@pytest.mark.parametrize('prog', ['glance-cache-pruner', 'glance-cache-cleaner',
                                  'glance-cache-prefetcher'])
def test_tools_without_a_cache_directory_say_so(tmp_path, prog):
    result = subprocess.run([fixtures.venv_bin(prog)], capture_output=True, text=True,
                            cwd=tmp_path, env=dict(os.environ, HOME=str(tmp_path)),
                            timeout=60)
    assert result.returncode == 1
    assert result.stderr == 'ERROR: The image cache needs a directory: set image_cache_dir\n'


def test_tools_read_glance_cache_conf_from_the_search_path(tmp_path):
    (tmp_path / 'glance-cache.conf').write_text('[DEFAULT]\nimage_cache_dir = %s\n'
                                                % (tmp_path / 'cache'))
    result = subprocess.run([fixtures.venv_bin('glance-cache-cleaner')], capture_output=True,
                            text=True, cwd=tmp_path, env=dict(os.environ, HOME=str(tmp_path)),
                            timeout=60)
    assert result.returncode == 0 and result.stderr == ''
    assert {'cache.db', 'incomplete', 'invalid', 'queue'} <= set(
        os.listdir(tmp_path / 'cache'))


def test_prefetcher_with_keystone_needs_its_credentials(dep):
    dep.write_cache_conf(auth_strategy='keystone')
    try:
        assert failed(dep.run_tool('glance-cache-prefetcher')) == \
            'ERROR: auth_strategy = keystone needs auth_url, admin_user, admin_password\n'
    finally:
        dep.write_cache_conf()
