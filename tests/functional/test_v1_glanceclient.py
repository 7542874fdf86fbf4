"""The real python-glanceclient v1 CLI (`glance --os-image-api-version 1`) against a
real deployment: every image and member operation a user runs."""
import hashlib
import os
import pty
import re
import subprocess
import time

import pytest

from tests.functional import deployment, fixtures, httpsource

PAYLOAD = os.urandom(1024 * 1024 + 11)


@pytest.fixture(scope='module')
def source():
    with httpsource.SourceServer({'/cirros.img': PAYLOAD}) as server:
        yield server


@pytest.fixture(scope='module')
def dep(tmp_path_factory, source):
    with deployment.Deployment(tmp_path_factory.mktemp('cli'),
                               api_conf=deployment.fetching_from(source)) as d:
        yield d


@pytest.fixture
def glance(dep):
    env = dict(os.environ, OS_IMAGE_URL=dep.url, OS_AUTH_TOKEN='unused',
               OS_IMAGE_API_VERSION='1')

    def run(*args, check=True):
        # stdin is a terminal, as for a user at a shell: glanceclient reads image data
        # from any stdin that is not a tty.
        leader, terminal = pty.openpty()
        try:
            proc = subprocess.run([fixtures.venv_bin('glance'), *args], env=env,
                                  stdin=terminal, capture_output=True, text=True,
                                  timeout=60)
        finally:
            os.close(leader)
            os.close(terminal)
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc
    return run


def table(output):
    """Rows of a prettytable printed by the CLI, as {Property: Value}."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) == 2 and line.startswith('|'):
            rows[cells[0]] = cells[1]
    return rows


def wait_active(glance, image_id):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = table(glance('image-show', image_id).stdout)['status']
        if status == 'active':
            return status
        time.sleep(0.1)
    return status


def test_create_from_file_download_and_compare(glance, tmp_path):
    src = tmp_path / 'cirros.img'
    src.write_bytes(PAYLOAD)
    out = table(glance('image-create', '--name', 'cirros', '--disk-format', 'qcow2',
                       '--container-format', 'bare', '--file', str(src),
                       '--property', 'os_distro=cirros').stdout)
    assert out['status'] == 'active'
    assert out['checksum'] == hashlib.md5(PAYLOAD).hexdigest()
    assert out['size'] == str(len(PAYLOAD))
    assert out['Property \'os_distro\''] == 'cirros'

    dest = tmp_path / 'downloaded.img'
    glance('image-download', '--file', str(dest), out['id'])
    assert dest.read_bytes() == PAYLOAD

    shown = table(glance('image-show', out['id']).stdout)
    assert shown['name'] == 'cirros' and shown['disk_format'] == 'qcow2'

    listing = glance('image-list').stdout
    assert out['id'] in listing

    updated = table(glance('image-update', '--name', 'cirros-0.6', '--property',
                           'arch=x86_64', out['id']).stdout)
    assert updated['name'] == 'cirros-0.6'
    assert updated['Property \'arch\''] == 'x86_64'
    assert updated['Property \'os_distro\''] == 'cirros'

    glance('image-delete', out['id'])
    # the no-auth caller is admin, and admins still see deleted records
    assert table(glance('image-show', out['id']).stdout)['status'] == 'deleted'
    assert glance('image-download', '--file', str(tmp_path / 'again.img'), out['id'],
                  check=False).returncode != 0


def test_create_with_copy_from_and_location(glance, source):
    copied = table(glance('image-create', '--name', 'copied', '--disk-format', 'raw',
                          '--container-format', 'bare', '--copy-from',
                          source.url('/cirros.img')).stdout)
    assert wait_active(glance, copied['id']) == 'active'
    located = table(glance('image-create', '--name', 'located', '--disk-format', 'raw',
                           '--container-format', 'bare', '--location',
                           source.url('/cirros.img')).stdout)
    assert located['status'] == 'active'
    assert located['size'] == str(len(PAYLOAD))


def test_members(glance):
    image_id = table(glance('image-create', '--name', 'to-share').stdout)['id']
    glance('member-create', '--can-share', image_id, 'tenant-x')
    glance('member-create', image_id, 'tenant-y')
    listing = glance('member-list', '--image-id', image_id).stdout
    assert re.search(r'tenant-x\s*\|\s*True', listing)
    # the client prints a false can_share as an empty cell
    assert re.search(r'tenant-y\s*\|\s*(False)?\s*\|', listing)
    by_member = glance('member-list', '--tenant-id', 'tenant-x').stdout
    assert image_id in by_member
    glance('member-delete', image_id, 'tenant-y')
    assert 'tenant-y' not in glance('member-list', '--image-id', image_id).stdout


def test_errors_are_reported_not_crashed(glance):
    proc = glance('image-create', '--name', 'bad', '--disk-format', 'floppy', check=False)
    assert proc.returncode != 0
    assert 'Invalid disk format' in proc.stderr or 'floppy' in proc.stderr
    proc = glance('image-show', '00000000-0000-0000-0000-000000000000', check=False)
    assert proc.returncode != 0
