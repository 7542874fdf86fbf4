"""The file store: the shared contract plus what only the file store does."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from glance_lite.common import exception
from glance_lite.store import filesystem
from store_contract import DATA, WritableStoreContract
from store_testlib import Reader, all_files, make_conf


@pytest.fixture
def datadir(tmp_path):
    return str(tmp_path / 'images')


@pytest.fixture
def store(datadir):
    return filesystem.FilesystemStore(make_conf(filesystem_store_datadir=datadir))


class TestFilesystemContract(WritableStoreContract):

    @pytest.fixture
    def backend_contents(self, datadir):
        return lambda: all_files(datadir)

    @pytest.fixture
    def uri_of(self, datadir):
        return lambda image_id: 'file://%s/%s' % (datadir, image_id)


# -- where and how data is written ----------------------------------------------------

def test_data_is_a_plain_file_named_by_image_id(store, datadir):
    uri, _, _ = store.add('4c2f-aa', Reader(b'abc'), 3)
    path = os.path.join(datadir, '4c2f-aa')
    assert uri == 'file://' + path
    assert store.local_path(uri) == path
    with open(path, 'rb') as f:
        assert f.read() == b'abc'
    assert os.listdir(datadir) == ['4c2f-aa']


def test_filesystem_scheme_is_the_same_store(store, datadir):
    store.add('img', Reader(b'abc'), 3)
    assert b''.join(store.get('filesystem://%s/img' % datadir)[0]) == b'abc'


def test_missing_datadir_is_created(tmp_path):
    datadir = tmp_path / 'a' / 'b' / 'c'
    filesystem.FilesystemStore(make_conf(filesystem_store_datadir=str(datadir)))
    assert datadir.is_dir()


def test_uncreatable_datadir_refuses_to_start(tmp_path):
    (tmp_path / 'plain-file').write_bytes(b'')
    with pytest.raises(exception.BadStoreConfiguration) as info:
        filesystem.FilesystemStore(
            make_conf(filesystem_store_datadir=str(tmp_path / 'plain-file' / 'images')))
    assert 'filesystem_store_datadir' in str(info.value)


@pytest.mark.parametrize('perm,mode', [(640, 0o640), (600, 0o600), (644, 0o644)])
def test_file_perm(tmp_path, perm, mode):
    store = filesystem.FilesystemStore(make_conf(
        filesystem_store_datadir=str(tmp_path), filesystem_store_file_perm=perm))
    uri, _, _ = store.add('img', Reader(b'abc'), 3)
    assert os.stat(store.local_path(uri)).st_mode & 0o7777 == mode


@pytest.mark.parametrize('perm', [999, 8, 12345, -1])
def test_bad_file_perm_refuses_to_start(tmp_path, perm):
    with pytest.raises(exception.BadStoreConfiguration) as info:
        filesystem.FilesystemStore(make_conf(
            filesystem_store_datadir=str(tmp_path), filesystem_store_file_perm=perm))
    assert 'filesystem_store_file_perm' in str(info.value)


def test_chunk_size_bounds_reads_and_writes(tmp_path):
    store = filesystem.FilesystemStore(make_conf(
        filesystem_store_datadir=str(tmp_path), filesystem_store_chunk_size=1000))
    asked = []

    class Recording(Reader):
        def read(self, n):
            asked.append(n)
            return super().read(n)

    uri, _, _ = store.add('img', Recording(DATA), 0)
    assert set(asked) == {1000}
    assert {len(c) for c in store.get(uri)[0]} <= {1000, len(DATA) % 1000}


def test_data_is_also_a_bounded_file_for_sendfile(store):
    """The server hands a download to wsgi.file_wrapper/sendfile: the chunks are a
    file too, positioned at the range's start, and reads never pass its end."""
    uri, _, _ = store.add('img', Reader(DATA), 0)
    body, length = store.get(uri, offset=10, length=25)
    assert length == 25
    assert os.fstat(body.fileno()).st_size == len(DATA)
    assert body.tell() == 10
    assert body.read(5) == DATA[10:15]
    assert body.read() == DATA[15:35]
    assert body.read() == b''
    body.close()
    with pytest.raises(ValueError):
        body.fileno()
    assert body.read() == b''


@pytest.mark.parametrize('image_id', ['', '.', '..', '../escape', 'a/b', '.hidden',
                                      'x' * 130, 'nul\x00byte', 'newline\n'])
def test_image_ids_that_cannot_be_file_names_are_refused(store, datadir, image_id):
    with pytest.raises(exception.Invalid):
        store.add(image_id, Reader(b'abc'), 3)
    assert all_files(datadir) == set()


# -- only its own files ---------------------------------------------------------------

@pytest.mark.parametrize('template', [
    'file:///etc/hostname',
    'file://%(d)s/../outside',
    'file://%(d)s/sub/img',
    'file://%(d)s/.hidden',
    'file://localhost%(d)s/img',
    'file:%(d)s/img',
])
def test_uris_outside_its_directories_are_refused(store, datadir, tmp_path, template):
    (tmp_path / 'outside').write_bytes(b'secret')
    uri = template % {'d': datadir}
    for call in (store.get, store.get_size, store.delete, store.local_path):
        with pytest.raises(exception.BadStoreUri):
            call(uri)
    assert (tmp_path / 'outside').read_bytes() == b'secret'


def test_symlink_planted_in_datadir_is_not_followed(store, datadir, tmp_path):
    (tmp_path / 'outside').write_bytes(b'secret')
    os.symlink(str(tmp_path / 'outside'), os.path.join(datadir, 'img'))
    with pytest.raises(exception.NotFound):
        store.get('file://%s/img' % datadir)


# -- several directories --------------------------------------------------------------

def _free(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def test_datadirs_highest_priority_wins(tmp_path):
    low, high = tmp_path / 'low', tmp_path / 'high'
    store = filesystem.FilesystemStore(make_conf(
        filesystem_store_datadir='',
        filesystem_store_datadirs=['%s:100' % low, '%s:200' % high]))
    uri, _, _ = store.add('img', Reader(b'abc'), 3)
    assert uri == 'file://%s/img' % high
    # data in any of the directories is found and counts as a duplicate
    assert b''.join(store.get(uri)[0]) == b'abc'
    with pytest.raises(exception.Duplicate):
        store.add('img', Reader(b'abc'), 3)


def test_datadir_at_its_default_does_not_clash_with_datadirs(tmp_path):
    store = filesystem.FilesystemStore(make_conf(
        filesystem_store_datadirs=[str(tmp_path / 'one')]))
    assert [d.path for d in store.datadirs] == [str(tmp_path / 'one')]


def _small_filesystem():
    shm = '/dev/shm'
    if not os.path.isdir(shm) or not os.access(shm, os.W_OK):
        pytest.skip('needs /dev/shm to get a second filesystem')
    return shm


def test_datadirs_fall_back_to_lower_priority_when_too_small(tmp_path):
    shm = _small_filesystem()
    small = os.path.join(shm, 'glance-lite-test-%d' % os.getpid())
    try:
        store = filesystem.FilesystemStore(make_conf(
            filesystem_store_datadir='',
            filesystem_store_datadirs=['%s:200' % small, '%s:100' % (tmp_path / 'big')]))
        too_big_for_small = _free(small) + 1
        if _free(str(tmp_path / 'big')) <= too_big_for_small:
            pytest.skip('/dev/shm is not smaller than the test filesystem')
        uri, _, _ = store.add('img', Reader(b'abc'), too_big_for_small)
        assert uri == 'file://%s/img' % (tmp_path / 'big')
    finally:
        shutil.rmtree(small, ignore_errors=True)


def test_datadirs_of_equal_priority_prefer_the_most_free(tmp_path):
    shm = _small_filesystem()
    small = os.path.join(shm, 'glance-lite-test-%d' % os.getpid())
    big = str(tmp_path / 'big')
    try:
        store = filesystem.FilesystemStore(make_conf(
            filesystem_store_datadir='', filesystem_store_datadirs=[small, big]))
        if _free(small) == _free(big):
            pytest.skip('both filesystems report the same free space')
        roomier = small if _free(small) > _free(big) else big
        uri, _, _ = store.add('img', Reader(b'abc'), 3)
        assert uri == 'file://%s/img' % roomier
    finally:
        shutil.rmtree(small, ignore_errors=True)


def test_size_that_fits_nowhere_is_storage_full(tmp_path):
    store = filesystem.FilesystemStore(make_conf(
        filesystem_store_datadir='',
        filesystem_store_datadirs=[str(tmp_path / 'a'), '%s:5' % (tmp_path / 'b')]))
    with pytest.raises(exception.StorageFull) as info:
        store.add('img', Reader(b'abc'), 1 << 62)
    assert info.value.http_status == 413
    assert all_files(str(tmp_path / 'a'), str(tmp_path / 'b')) == set()


@pytest.mark.parametrize('overrides,option', [
    ({'filesystem_store_datadir': '/tmp/x', 'filesystem_store_datadirs': ['/tmp/y']},
     'filesystem_store_datadirs'),
    ({'filesystem_store_datadir': ''}, 'filesystem_store_datadir'),
    ({'filesystem_store_datadir': '', 'filesystem_store_datadirs': ['%(t)s/a:high']},
     'filesystem_store_datadirs'),
    ({'filesystem_store_datadir': '', 'filesystem_store_datadirs': [':5']},
     'filesystem_store_datadirs'),
    ({'filesystem_store_datadir': '',
      'filesystem_store_datadirs': ['%(t)s/a:1', '%(t)s/b', '%(t)s/a/:3']},
     'filesystem_store_datadirs'),
])
def test_datadir_configuration_errors(tmp_path, overrides, option):
    overrides = {k: ([i % {'t': tmp_path} for i in v] if isinstance(v, list) else v)
                 for k, v in overrides.items()}
    with pytest.raises(exception.BadStoreConfiguration) as info:
        filesystem.FilesystemStore(make_conf(**overrides))
    assert option in str(info.value)


def test_same_directory_through_a_symlink_is_refused(tmp_path):
    (tmp_path / 'real').mkdir()
    os.symlink(str(tmp_path / 'real'), str(tmp_path / 'alias'))
    with pytest.raises(exception.BadStoreConfiguration) as info:
        filesystem.FilesystemStore(make_conf(
            filesystem_store_datadir='',
            filesystem_store_datadirs=[str(tmp_path / 'real'), str(tmp_path / 'alias')]))
    assert 'more than once' in str(info.value)


# -- metadata file --------------------------------------------------------------------

def _store_with_metadata(tmp_path, content):
    meta = tmp_path / 'meta.json'
    meta.write_text(content if isinstance(content, str) else json.dumps(content))
    return filesystem.FilesystemStore(make_conf(
        filesystem_store_datadir=str(tmp_path / 'mnt' / 'images'),
        filesystem_store_metadata_file=str(meta)))


def test_metadata_single_object(tmp_path):
    entry = {'id': 'nfs-1', 'mountpoint': str(tmp_path / 'mnt')}
    _, _, metadata = _store_with_metadata(tmp_path, entry).add('img', Reader(b'x'), 1)
    assert metadata == entry


def test_metadata_list_picks_the_mountpoint_holding_the_file(tmp_path):
    entries = [{'id': 'root', 'mountpoint': '/'},
               {'id': 'other', 'mountpoint': str(tmp_path / 'mntx')},
               {'id': 'mnt', 'mountpoint': str(tmp_path / 'mnt'), 'extra': [1, 2]}]
    _, _, metadata = _store_with_metadata(tmp_path, entries).add('img', Reader(b'x'), 1)
    assert metadata == entries[2]


def test_metadata_without_matching_mountpoint_is_empty(tmp_path):
    entries = [{'id': 'other', 'mountpoint': str(tmp_path / 'elsewhere')}]
    _, _, metadata = _store_with_metadata(tmp_path, entries).add('img', Reader(b'x'), 1)
    assert metadata == {}


@pytest.mark.parametrize('content', [
    'not json', '[]', '"text"', [{'id': 'x'}], [{'mountpoint': '/'}],
    [{'id': 1, 'mountpoint': '/'}], [{'id': 'x', 'mountpoint': 'relative'}], [[]]])
def test_bad_metadata_file_refuses_to_start(tmp_path, content):
    with pytest.raises(exception.BadStoreConfiguration) as info:
        _store_with_metadata(tmp_path, content)
    assert 'filesystem_store_metadata_file' in str(info.value)


def test_missing_metadata_file_refuses_to_start(tmp_path):
    with pytest.raises(exception.BadStoreConfiguration) as info:
        filesystem.FilesystemStore(make_conf(
            filesystem_store_datadir=str(tmp_path),
            filesystem_store_metadata_file=str(tmp_path / 'nope.json')))
    assert 'filesystem_store_metadata_file' in str(info.value)


# -- leftovers of killed processes ----------------------------------------------------

def test_startup_removes_stale_partial_uploads_only(datadir):
    os.makedirs(datadir)
    stale = os.path.join(datadir, '.img-1.0123456789abcdef' + filesystem.TEMP_SUFFIX)
    fresh = os.path.join(datadir, '.img-2.0123456789abcdef' + filesystem.TEMP_SUFFIX)
    image = os.path.join(datadir, 'img-3')
    for path in (stale, fresh, image):
        with open(path, 'wb') as f:
            f.write(b'data')
    old = time.time() - filesystem.STALE_TEMP_SECONDS - 60
    for path in (stale, image):
        os.utime(path, (old, old))
    filesystem.FilesystemStore(make_conf(filesystem_store_datadir=datadir))
    assert sorted(os.listdir(datadir)) == sorted([os.path.basename(fresh), 'img-3'])


def test_partial_upload_is_never_served_under_the_image_id(store, datadir):
    # What a process killed mid-upload leaves: only a temporary name exists.
    os.makedirs(datadir, exist_ok=True)
    with open(os.path.join(datadir, '.img.0123456789abcdef' + filesystem.TEMP_SUFFIX),
              'wb') as f:
        f.write(b'half')
    with pytest.raises(exception.NotFound):
        store.get('file://%s/img' % datadir)
    uri, _, _ = store.add('img', Reader(b'whole'), 5)
    assert b''.join(store.get(uri)[0]) == b'whole'


# -- real OS errors, in a child process ------------------------------------------------

_CHILD = textwrap.dedent('''
    import io, os, resource, signal, sys
    from glance_lite.common import exception
    from glance_lite.store import filesystem
    from store_testlib import make_conf

    datadir, mode = sys.argv[1], sys.argv[2]
    store = filesystem.FilesystemStore(make_conf(filesystem_store_datadir=datadir,
                                                 filesystem_store_chunk_size=4096))
    if mode == 'fsize':
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100000, 100000))
    elif os.geteuid() == 0:
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        except OSError as e:
            print('SKIP cannot drop privileges: %s' % e)
            sys.exit(0)
    else:
        os.chmod(datadir, 0o555)
    try:
        store.add('img', io.BytesIO(b'x' * 300000), 0)
    except exception.GlanceException as e:
        print(type(e).__name__, e.http_status, e.msg)
        sys.exit(0)
    print('stored without error')
''')


def _run_child(datadir, mode):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(__file__)] + sys.path))
    result = subprocess.run([sys.executable, '-c', _CHILD, datadir, mode], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    if result.stdout.startswith('SKIP'):
        pytest.skip(result.stdout)
    return result.stdout.strip()


def test_file_size_limit_is_storage_full_and_leaves_nothing(datadir):
    # RLIMIT_FSIZE with SIGXFSZ ignored makes write() fail with a real EFBIG.
    out = _run_child(datadir, 'fsize')
    assert out.startswith('StorageFull 413 Image storage media is full'), out
    assert all_files(datadir) == set()


def test_permission_denied_is_storage_write_denied(datadir):
    # Tests run as root, who may write anywhere: the child drops to "nobody"
    # after the store started, so the write itself meets a real EACCES.
    out = _run_child(datadir, 'eacces')
    assert out.startswith('StorageWriteDenied 503'), out
    assert all_files(datadir) == set()
