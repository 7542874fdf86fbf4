"""The real python-glanceclient v2 CLI (`glance --os-image-api-version 2`) against a real
deployment: every image, data, tag, member, action and location command a user runs.

Identities: the CLI can only send a token (``OS_AUTH_TOKEN``), and member and visibility
rules need several projects.  So glance-api runs its ``keystone`` flavor, whose real
keystonemiddleware validates each token against a stand-in Keystone
(tests/functional/fakekeystone.py) that knows three tokens: ``admin-token`` (role admin),
``alice-token`` and ``bob-token`` (projects alice and bob, role member).  The registry runs
``trusted-auth`` and gets each caller's identity from the api (``send_identity_headers``).
Nothing of glance-api or glance-registry is replaced; only Keystone is a stand-in.

The deployment shows multiple locations so that ``location-add``/``location-delete`` work
(policy: adding a location is admin-only, removing one is allowed to the owner); its http
store may read from a local HTTP source.
"""
import hashlib
import json
import os
import pty
import re
import select
import subprocess
import time
import uuid

import pytest
import requests

from tests.functional import deployment, fakekeystone, fixtures, httpsource

PAYLOAD = os.urandom(1024 * 1024 + 11)
SMALL = os.urandom(4096 + 3)
UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')

ADMIN, ALICE, BOB = 'admin-token', 'alice-token', 'bob-token'
TOKENS = {ADMIN: fakekeystone.identity('ops', roles=['admin']),
          ALICE: fakekeystone.identity('alice'),
          BOB: fakekeystone.identity('bob')}


@pytest.fixture(scope='module')
def source():
    with httpsource.SourceServer({'/located.img': PAYLOAD,
                                  '/mirror.img': PAYLOAD}) as server:
        yield server


@pytest.fixture(scope='module')
def keystone():
    with fakekeystone.FakeKeystone(TOKENS) as ks:
        yield ks


@pytest.fixture(scope='module')
def dep(tmp_path_factory, source, keystone):
    api_conf = fixtures.merge_sections(deployment.fetching_from(source), {
        'DEFAULT': {'send_identity_headers': 'True', 'show_multiple_locations': 'True'},
        'keystone_authtoken': keystone.authtoken_options()})
    with deployment.Deployment(tmp_path_factory.mktemp('cli2'), flavor='keystone',
                               registry_flavor='trusted-auth', api_conf=api_conf) as d:
        yield d


@pytest.fixture(scope='module')
def glance(dep, tmp_path_factory):
    # glanceclient caches the image schema under ~/.glanceclient: keep it private.
    home = str(tmp_path_factory.mktemp('cli2-home'))
    base_env = dict(os.environ, HOME=home, OS_IMAGE_URL=dep.url, OS_IMAGE_API_VERSION='2')

    def run(*args, token=ALICE, check=True, binary=False, api_version='2',
            terminal_stdout=False):
        """Run ``glance <args>`` as the holder of ``token``; stdin is a terminal, as for
        a user at a shell (glanceclient reads image data from any stdin that is not).

        ``terminal_stdout``: stdout is a terminal too (the CLI draws progress bars only
        there); the output is then read from it.
        """
        env = dict(base_env, OS_AUTH_TOKEN=token, OS_IMAGE_API_VERSION=api_version)
        leader, terminal = pty.openpty()
        try:
            if terminal_stdout:
                proc = _run_on_terminal([fixtures.venv_bin('glance'), *args], env, terminal)
            else:
                proc = subprocess.run([fixtures.venv_bin('glance'), *args], env=env,
                                      stdin=terminal, capture_output=True,
                                      text=not binary, timeout=60)
        finally:
            os.close(leader)
            os.close(terminal)
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc
    return run


def _run_on_terminal(cmd, env, stdin, timeout=60):
    """Run ``cmd`` with stdout on a new terminal; a CompletedProcess with text output."""
    leader, terminal = pty.openpty()
    try:
        child = subprocess.Popen(cmd, env=env, stdin=stdin, stdout=terminal,
                                 stderr=subprocess.PIPE)
        os.close(terminal)
        terminal = None
        output = b''
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed its side of the terminal
                break
            if not chunk:
                break
            output += chunk
        returncode = child.wait(timeout=max(1, deadline - time.monotonic()))
        stderr = child.stderr.read().decode()
        child.stderr.close()
    finally:
        os.close(leader)
        if terminal is not None:
            os.close(terminal)
    return subprocess.CompletedProcess(cmd, returncode, output.decode(), stderr)


def api(dep, method, path, token=ALICE, **kwargs):
    """A raw v2 request (fast set-up of many images) with a caller's token."""
    headers = dict(kwargs.pop('headers', {}), **{'X-Auth-Token': token})
    return requests.request(method, dep.url + path, headers=headers, timeout=30, **kwargs)


def table(output):
    """Rows of a two-column prettytable printed by the CLI, as {Property: Value}.

    Values the table wrapped over several lines (long hashes) are joined back.
    """
    rows = {}
    key = None
    for line in output.splitlines():
        if not line.startswith('|'):
            continue
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) != 2:
            continue
        if cells[0]:
            key = cells[0]
            rows[key] = cells[1]
        elif key is not None:
            rows[key] += cells[1]
    return rows


def rows(output):
    """Rows of a prettytable list printed by the CLI, as dicts keyed by the header."""
    lines = [line for line in output.splitlines() if line.startswith('|')]
    if not lines:
        return []
    split = [[c.strip() for c in line.strip().strip('|').split('|')] for line in lines]
    header = split[0]
    return [dict(zip(header, cells)) for cells in split[1:]]


def listed(glance, *args, token=ALICE):
    """Ids printed by ``glance image-list <args>``, in order."""
    return [r['ID'] for r in rows(glance('image-list', *args, token=token).stdout)]


def show(glance, image_id, token=ALICE):
    return table(glance('image-show', '--max-column-width', '1000', image_id,
                        token=token).stdout)


def create_image(glance, *args, token=ALICE):
    return table(glance('image-create', *args, token=token).stdout)


def sha512(data):
    return hashlib.sha512(data).hexdigest()


def test_create_with_file_and_progress_then_download_to_file_and_stdout(glance, tmp_path):
    src = tmp_path / 'cirros.img'
    src.write_bytes(PAYLOAD)
    proc = glance('image-create', '--name', 'cirros', '--disk-format', 'qcow2',
                  '--container-format', 'bare', '--file', str(src), '--progress',
                  '--property', 'os_distro=cirros', '--property', 'hw_disk_bus=scsi',
                  terminal_stdout=True)
    assert '100%' in proc.stdout  # the progress bar reached the end
    image = table(proc.stdout)
    assert UUID_RE.match(image['id'])
    assert image['status'] == 'active'
    assert image['size'] == str(len(PAYLOAD))
    assert image['checksum'] == hashlib.md5(PAYLOAD).hexdigest()
    assert image['os_hash_algo'] == 'sha512'
    assert image['os_hash_value'] == sha512(PAYLOAD)
    assert image['os_distro'] == 'cirros' and image['hw_disk_bus'] == 'scsi'
    assert image['owner'] == 'alice'
    assert image['visibility'] == 'shared'  # Stein's default

    dest = tmp_path / 'downloaded.img'
    glance('image-download', '--file', str(dest), image['id'])
    assert dest.read_bytes() == PAYLOAD
    proc = glance('image-download', '--progress', image['id'], binary=True)
    assert proc.returncode == 0 and proc.stdout == PAYLOAD

    shown = show(glance, image['id'])
    assert shown['name'] == 'cirros' and shown['disk_format'] == 'qcow2'
    assert shown['os_hash_value'] == sha512(PAYLOAD)


def test_create_without_data_then_upload(glance, tmp_path):
    image = create_image(glance, '--name', 'later', '--disk-format', 'raw',
                         '--container-format', 'bare', '--min-ram', '64')
    assert image['status'] == 'queued'
    assert image['min_ram'] == '64'
    proc = glance('image-download', image['id'], check=False, binary=True)
    assert proc.returncode != 0 and b'has no data' in proc.stderr

    src = tmp_path / 'data.img'
    src.write_bytes(SMALL)
    proc = glance('image-upload', '--file', str(src), '--progress', image['id'],
                  terminal_stdout=True)
    assert '100%' in proc.stdout
    shown = show(glance, image['id'])
    assert shown['status'] == 'active'
    assert shown['size'] == str(len(SMALL))
    assert shown['checksum'] == hashlib.md5(SMALL).hexdigest()
    assert glance('image-download', image['id'], binary=True).stdout == SMALL

    # Data is immutable once the image is active.
    proc = glance('image-upload', '--file', str(src), image['id'], check=False)
    assert proc.returncode != 0 and '409' in proc.stderr


def test_update_properties_and_remove_property(glance):
    image = create_image(glance, '--name', 'props', '--property', 'a=1',
                         '--property', 'b=2', '--property', 'keep=yes')
    assert (image['a'], image['b']) == ('1', '2')
    updated = table(glance('image-update', '--name', 'props-renamed', '--min-disk', '3',
                           '--property', 'a=10', '--property', 'c=3',
                           '--remove-property', 'b', image['id']).stdout)
    assert updated['name'] == 'props-renamed'
    assert updated['min_disk'] == '3'
    assert (updated['a'], updated['c'], updated['keep']) == ('10', '3', 'yes')
    assert 'b' not in updated
    shown = show(glance, image['id'])
    assert 'b' not in shown and shown['a'] == '10'

    proc = glance('image-update', '--name', 'not-mine', image['id'], token=BOB, check=False)
    assert proc.returncode != 0  # bob cannot even see alice's shared image


def test_tags_update_delete_and_filter(glance):
    image = create_image(glance, '--name', 'tagged', '--tags', 'red', 'green')
    assert set(json.loads(image['tags'])) == {'red', 'green'}
    out = rows(glance('image-tag-update', image['id'], 'blue').stdout)
    assert out[0]['ID'] == image['id'] and 'blue' in out[0]['Tags']
    assert image['id'] in listed(glance, '--tag', 'blue')
    assert image['id'] in listed(glance, '--tag', 'blue', '--tag', 'red')
    glance('image-tag-delete', image['id'], 'red')
    assert set(json.loads(show(glance, image['id'])['tags'])) == {'green', 'blue'}
    assert image['id'] not in listed(glance, '--tag', 'red')
    proc = glance('image-tag-delete', image['id'], 'red', check=False)
    assert proc.returncode != 0 and '404' in proc.stderr


@pytest.fixture(scope='module')
def batch(dep):
    """Five images of alice's sharing a ``batch`` property, made over raw HTTP:
    a (shared), b (community), c (private), d (shared, with data), e (hidden)."""
    label = uuid.uuid4().hex
    made = {}
    for name, extra in (('a', {}), ('b', {'visibility': 'community'}),
                        ('c', {'visibility': 'private'}), ('d', {}),
                        ('e', {'os_hidden': True})):
        resp = api(dep, 'POST', '/v2/images', json={
            'name': 'page-' + name, 'batch': label, 'disk_format': 'raw',
            'container_format': 'bare', **extra})
        assert resp.status_code == 201, resp.text
        made[name] = resp.json()['id']
    resp = api(dep, 'PUT', '/v2/images/%s/file' % made['d'], data=SMALL,
               headers={'Content-Type': 'application/octet-stream'})
    assert resp.status_code == 204, resp.text
    return label, made


def test_list_paging_follows_next_over_several_pages(glance, dep, batch):
    label, made = batch
    before = dep.api.log_text().count('limit=2')
    ids = listed(glance, '--page-size', '2', '--property-filter', 'batch=' + label)
    # CLI default order is name ascending; the hidden image is left out.
    assert ids == [made[n] for n in 'abcd']
    # two full pages, then the empty one that has no "next"
    assert dep.api.log_text().count('limit=2') - before == 3
    assert listed(glance, '--limit', '3', '--page-size', '2',
                  '--property-filter', 'batch=' + label) == [made[n] for n in 'abc']


def test_list_sorting(glance, batch):
    label, made = batch
    mine = ('--property-filter', 'batch=' + label)
    assert listed(glance, '--sort', 'name:desc', *mine) == [made[n] for n in 'dcba']
    assert listed(glance, '--sort-key', 'name', '--sort-dir', 'desc', *mine) == \
        [made[n] for n in 'dcba']
    by_size = listed(glance, '--sort-key', 'size', '--sort-dir', 'desc',
                     '--sort-key', 'name', '--sort-dir', 'asc', *mine)
    assert by_size[0] == made['d']  # the only one with data
    # A key without a direction sorts descending; a null size sorts first (SQLite).
    assert listed(glance, '--sort', 'size:asc,name', *mine) == [made[n] for n in 'cbad']


def test_list_filters(glance, batch):
    label, made = batch
    mine = ('--property-filter', 'batch=' + label)
    assert listed(glance, '--visibility', 'community', *mine) == [made['b']]
    assert listed(glance, '--visibility', 'private', *mine) == [made['c']]
    assert listed(glance, '--visibility', 'shared', *mine) == [made['a'], made['d']]
    assert listed(glance, '--hidden', 'True', *mine) == [made['e']]
    assert listed(glance, '--checksum', hashlib.md5(SMALL).hexdigest(), *mine) == \
        [made['d']]
    assert listed(glance, '--hash', sha512(SMALL), *mine) == [made['d']]
    assert listed(glance, '--property-filter', 'batch=nothing-like-it') == []
    # The admin sees every project's images and can pick an owner; as for everyone,
    # community images of others show only when asked for.
    assert listed(glance, '--owner', 'alice', *mine, token=ADMIN) == \
        [made[n] for n in 'acd']
    assert listed(glance, '--owner', 'alice', '--visibility', 'all', *mine,
                  token=ADMIN) == [made[n] for n in 'abcd']
    assert listed(glance, '--owner', 'bob', *mine, token=ADMIN) == []
    # Another project sees only the community image, and only when asking for it.
    assert listed(glance, *mine, token=BOB) == []
    assert listed(glance, '--visibility', 'community', *mine, token=BOB) == [made['b']]


def test_members_between_projects(glance):
    image = create_image(glance, '--name', 'for-bob', '--visibility', 'shared')
    image_id = image['id']
    assert glance('image-show', image_id, token=BOB, check=False).returncode != 0

    created = rows(glance('member-create', image_id, 'bob').stdout)
    assert created == [{'Image ID': image_id, 'Member ID': 'bob', 'Status': 'pending'}]
    # A pending member can look at the image but does not get it in its list...
    assert show(glance, image_id, token=BOB)['name'] == 'for-bob'
    assert image_id not in listed(glance, token=BOB)
    assert image_id in listed(glance, '--member-status', 'pending', token=BOB)
    assert image_id in listed(glance, '--member-status', 'all', token=BOB)

    # ...until it accepts; only the member itself may answer.
    proc = glance('member-update', image_id, 'bob', 'accepted', check=False)
    assert proc.returncode != 0 and '403' in proc.stderr
    updated = rows(glance('member-update', image_id, 'bob', 'accepted', token=BOB).stdout)
    assert updated[0]['Status'] == 'accepted'
    assert image_id in listed(glance, token=BOB)
    assert image_id not in listed(glance, '--member-status', 'pending', token=BOB)

    glance('member-create', image_id, 'carol')
    owner_view = {r['Member ID']: r['Status']
                  for r in rows(glance('member-list', '--image-id', image_id).stdout)}
    assert owner_view == {'bob': 'accepted', 'carol': 'pending'}
    member_view = rows(glance('member-list', '--image-id', image_id, token=BOB).stdout)
    assert [r['Member ID'] for r in member_view] == ['bob']
    proc = glance('member-create', image_id, 'dave', token=BOB, check=False)
    assert proc.returncode != 0 and '403' in proc.stderr

    glance('member-update', image_id, 'bob', 'rejected', token=BOB)
    assert image_id not in listed(glance, token=BOB)
    assert image_id in listed(glance, '--member-status', 'rejected', token=BOB)

    glance('member-delete', image_id, 'bob')
    assert glance('image-show', image_id, token=BOB, check=False).returncode != 0
    remaining = rows(glance('member-list', '--image-id', image_id).stdout)
    assert [r['Member ID'] for r in remaining] == ['carol']
    proc = glance('member-delete', image_id, 'bob', check=False)
    assert proc.returncode != 0 and '404' in proc.stderr


def test_only_shared_images_have_members(glance):
    image = create_image(glance, '--name', 'private-one', '--visibility', 'private')
    proc = glance('member-create', image['id'], 'bob', check=False)
    assert proc.returncode != 0
    assert 'Only shared images have members' in proc.stderr


def test_deactivate_and_reactivate(glance, tmp_path):
    src = tmp_path / 'd.img'
    src.write_bytes(SMALL)
    image = create_image(glance, '--name', 'deact', '--disk-format', 'raw',
                         '--container-format', 'bare', '--file', str(src))
    glance('image-deactivate', image['id'])
    assert show(glance, image['id'])['status'] == 'deactivated'
    proc = glance('image-download', image['id'], check=False, binary=True)
    assert proc.returncode != 0 and b'403' in proc.stderr
    # admins still get the data
    assert glance('image-download', image['id'], token=ADMIN, binary=True).stdout == SMALL
    glance('image-deactivate', image['id'])  # already deactivated: nothing happens
    assert glance('image-reactivate', image['id'], token=BOB, check=False).returncode != 0

    glance('image-reactivate', image['id'])
    assert show(glance, image['id'])['status'] == 'active'
    assert glance('image-download', image['id'], binary=True).stdout == SMALL

    queued = create_image(glance, '--name', 'never-active')
    proc = glance('image-deactivate', queued['id'], check=False)
    assert proc.returncode != 0 and '403' in proc.stderr


def test_delete_removes_image_and_data(glance, dep, tmp_path):
    src = tmp_path / 'gone.img'
    src.write_bytes(SMALL)
    before = set(dep.stored_files())
    image = create_image(glance, '--name', 'to-delete', '--disk-format', 'raw',
                         '--container-format', 'bare', '--file', str(src))
    assert len(set(dep.stored_files()) - before) == 1
    assert glance('image-delete', image['id'], token=BOB, check=False).returncode != 0
    glance('image-delete', image['id'])
    assert set(dep.stored_files()) == before
    proc = glance('image-show', image['id'], check=False)
    assert proc.returncode != 0 and '404' in proc.stderr
    proc = glance('image-delete', image['id'], check=False)
    assert proc.returncode != 0
    assert "No image with an ID of '%s' exists." % image['id'] in proc.stderr


def test_protected_image_cannot_be_deleted(glance):
    image = create_image(glance, '--name', 'precious', '--protected', 'True')
    proc = glance('image-delete', image['id'], check=False)
    assert proc.returncode != 0
    assert "You are not permitted to delete the image '%s'." % image['id'] in proc.stderr
    glance('image-update', '--protected', 'False', image['id'])
    glance('image-delete', image['id'])
    assert glance('image-show', image['id'], check=False).returncode != 0


def test_location_add_and_delete(glance, source, tmp_path):
    first, second = source.url('/located.img'), source.url('/mirror.img')
    # set_image_location is admin-only in the shipped policy, even for the owner
    own = create_image(glance, '--name', 'no-location-for-alice', '--disk-format', 'raw',
                       '--container-format', 'bare')
    proc = glance('location-add', '--url', first, own['id'], check=False)
    assert proc.returncode != 0 and '403' in proc.stderr

    image = create_image(glance, '--name', 'located', '--disk-format', 'raw',
                         '--container-format', 'bare', token=ADMIN)

    added = table(glance('location-add', '--url', first, '--metadata', '{"zone": "a"}',
                         image['id'], token=ADMIN).stdout)
    assert added['status'] == 'active'
    assert added['size'] == str(len(PAYLOAD))
    assert json.loads(added['locations']) == [{'url': first, 'metadata': {'zone': 'a'}}]
    dest = tmp_path / 'from-http.img'
    glance('image-download', '--file', str(dest), image['id'], token=ADMIN)
    assert dest.read_bytes() == PAYLOAD

    glance('location-add', '--url', second, image['id'], token=ADMIN)
    urls = [loc['url'] for loc in json.loads(show(glance, image['id'], ADMIN)['locations'])]
    assert urls == [first, second]
    glance('location-delete', '--url', first, image['id'], token=ADMIN)
    urls = [loc['url'] for loc in json.loads(show(glance, image['id'], ADMIN)['locations'])]
    assert urls == [second]
    glance('image-download', '--file', str(dest), image['id'], token=ADMIN)
    assert dest.read_bytes() == PAYLOAD

    proc = glance('location-delete', '--url', second, image['id'], token=ADMIN, check=False)
    assert proc.returncode != 0
    assert 'Cannot remove last location in the image.' in proc.stderr


def test_v1_and_v2_see_the_same_images(glance, tmp_path):
    src = tmp_path / 'both.img'
    src.write_bytes(SMALL)
    v1 = table(glance('image-create', '--name', 'made-in-v1', '--disk-format', 'raw',
                      '--container-format', 'bare', '--file', str(src),
                      '--property', 'origin=v1', api_version='1').stdout)
    in_v2 = show(glance, v1['id'])
    assert in_v2['name'] == 'made-in-v1' and in_v2['status'] == 'active'
    assert in_v2['checksum'] == v1['checksum'] == hashlib.md5(SMALL).hexdigest()
    assert in_v2['size'] == v1['size'] == str(len(SMALL))
    assert in_v2['origin'] == 'v1'
    assert in_v2['visibility'] == 'shared'  # v1's is_public=False
    assert v1['id'] in listed(glance, '--property-filter', 'origin=v1')
    assert glance('image-download', v1['id'], binary=True).stdout == SMALL

    v2 = create_image(glance, '--name', 'made-in-v2', '--disk-format', 'raw',
                      '--container-format', 'bare', '--file', str(src),
                      '--property', 'origin=v2')
    in_v1 = table(glance('image-show', v2['id'], api_version='1').stdout)
    assert in_v1['name'] == 'made-in-v2' and in_v1['status'] == 'active'
    assert in_v1['checksum'] == v2['checksum']
    assert in_v1['size'] == v2['size']
    assert in_v1["Property 'origin'"] == 'v2'
    assert in_v1['is_public'] == 'False'
    v1_list = glance('image-list', '--property-filter', 'origin=v2', api_version='1').stdout
    assert v2['id'] in v1_list


def test_errors_are_reported_not_crashed(glance):
    proc = glance('image-show', str(uuid.uuid4()), check=False)
    assert proc.returncode != 0 and '404' in proc.stderr
    assert 'Traceback' not in proc.stderr
    proc = glance('image-create', '--name', 'x', '--visibility', 'public', check=False)
    assert proc.returncode != 0 and '403' in proc.stderr
    proc = glance('image-create', '--name', 'x', '--owner', 'bob', check=False)
    assert proc.returncode != 0
    assert "You are not permitted to create images owned by 'bob'." in proc.stderr
    proc = glance('image-list', token='forged-token', check=False)
    assert proc.returncode != 0
    assert 'Invalid OpenStack Identity credentials.' in proc.stderr  # the CLI's 401
