"""Delayed delete, glance-scrubber and encrypted locations with real processes.

One trusted-auth deployment with ``delayed_delete`` and ``metadata_encryption_key``;
glance-scrubber runs as the console script over the same SQLite file and image
directory, from its own glance-scrubber.conf.
"""
import hashlib
import os
import signal
import sqlite3
import subprocess
import uuid

import pytest
import requests

from tests.functional import deployment, fixtures

KEY = 'scrubber-test-key-0123456789abcd'  # 32 bytes
DATA = os.urandom(256 * 1024 + 3)


def who(tenant, roles='member'):
    return {'X-Identity-Status': 'Confirmed', 'X-Tenant-Id': tenant,
            'X-User-Id': 'user-' + tenant, 'X-Roles': roles}


ALICE, ADMIN = who('alice'), who('ops', roles='admin')


@pytest.fixture(scope='module')
def dep(tmp_path_factory):
    d = deployment.Deployment(
        tmp_path_factory.mktemp('scrubber'), flavor='trusted-auth',
        registry_flavor='trusted-auth',
        api_conf={'DEFAULT': {'send_identity_headers': 'True', 'delayed_delete': 'True',
                              'metadata_encryption_key': KEY}})
    d.start()
    yield d
    d.stop()


def scrubber_argv(dep, *args, key=KEY, **options):
    """glance-scrubber's command line with a glance-scrubber.conf of ``options``."""
    conf = os.path.join(dep.workdir, 'glance-scrubber-%s.conf' % uuid.uuid4().hex[:8])
    defaults = dict(options)
    if key is not None:
        defaults['metadata_encryption_key'] = key
    fixtures.write_conf(conf, {
        'DEFAULT': defaults,
        'database': {'connection': dep.db_url},
        'glance_store': {'filesystem_store_datadir': dep.datadir}})
    return [fixtures.venv_bin('glance-scrubber'), '--config-file', conf] + list(args)


def scrub(dep, *args, key=KEY, **options):
    """Run glance-scrubber to completion; returns the CompletedProcess (text)."""
    return subprocess.run(scrubber_argv(dep, *args, key=key, **options),
                          capture_output=True, text=True, timeout=60, cwd=dep.workdir,
                          env=dict(os.environ, HOME=dep.workdir))


def upload(dep, data=DATA, **headers):
    headers = {**ALICE, 'x-image-meta-name': 'img', 'x-image-meta-disk_format': 'raw',
               'x-image-meta-container_format': 'bare',
               'Content-Type': 'application/octet-stream', **headers}
    resp = requests.post(dep.url + '/v1/images', headers=headers, data=data)
    assert resp.status_code == 201, resp.text
    return resp.json()['image']['id']


def image_url(dep, image_id):
    return '%s/v1/images/%s' % (dep.url, image_id)


def data_path(dep, image_id):
    return os.path.join(dep.datadir, image_id)


def db_rows(dep, image_id):
    """(image status, deleted) and [(location value, status)] read from the file."""
    with sqlite3.connect(dep.db_url[len('sqlite:///'):]) as conn:
        image = conn.execute('SELECT status, deleted FROM images WHERE id = ?',
                             (image_id,)).fetchone()
        locations = conn.execute('SELECT value, status FROM image_locations WHERE '
                                 'image_id = ? ORDER BY id', (image_id,)).fetchall()
    return (image[0], bool(image[1])), locations


def delete(dep, image_id, caller=ALICE):
    resp = requests.delete(image_url(dep, image_id), headers=caller)
    assert resp.status_code == 200, resp.text


def test_delete_hides_the_image_keeps_the_data_and_the_scrubber_removes_it(dep):
    image_id = upload(dep)
    delete(dep, image_id)

    assert requests.head(image_url(dep, image_id), headers=ALICE).status_code == 404
    assert requests.get(image_url(dep, image_id), headers=ALICE).status_code == 404
    listed = requests.get(dep.url + '/v1/images/detail', headers=ALICE).json()['images']
    assert image_id not in [i['id'] for i in listed]
    assert requests.delete(image_url(dep, image_id), headers=ALICE).status_code == 404
    head = requests.head(image_url(dep, image_id), headers=ADMIN)
    assert head.headers['x-image-meta-status'] == 'pending_delete'
    resp = requests.delete(image_url(dep, image_id), headers=ADMIN)
    assert resp.status_code == 403
    assert 'Forbidden to delete a pending_delete image.' in resp.text
    with open(data_path(dep, image_id), 'rb') as f:
        assert f.read() == DATA
    image, locations = db_rows(dep, image_id)
    assert image == ('pending_delete', True)
    assert [status for _, status in locations] == ['pending_delete']

    result = scrub(dep)
    assert result.returncode == 0, result.stderr
    assert not os.path.exists(data_path(dep, image_id))
    image, locations = db_rows(dep, image_id)
    assert image == ('deleted', True)
    assert [status for _, status in locations] == ['deleted']
    head = requests.head(image_url(dep, image_id), headers=ADMIN)
    assert head.headers['x-image-meta-status'] == 'deleted'


def test_an_image_without_data_is_deleted_at_once(dep):
    resp = requests.post(dep.url + '/v1/images',
                         headers={**ALICE, 'x-image-meta-name': 'reserved'})
    image_id = resp.json()['image']['id']
    delete(dep, image_id)
    assert db_rows(dep, image_id)[0] == ('deleted', True)


def test_scrub_time_keeps_recent_deletions(dep):
    image_id = upload(dep)
    delete(dep, image_id)
    assert scrub(dep, scrub_time=3600).returncode == 0
    assert os.path.exists(data_path(dep, image_id))
    assert db_rows(dep, image_id)[0] == ('pending_delete', True)
    assert scrub(dep, scrub_time=0).returncode == 0
    assert not os.path.exists(data_path(dep, image_id))


def test_locations_are_encrypted_at_rest_and_clear_through_the_api(dep):
    image_id = upload(dep, **{'x-image-meta-property-color': 'blue'})
    [(stored, status)] = db_rows(dep, image_id)[1]
    assert status == 'active'
    assert 'file:' not in stored and image_id not in stored and dep.datadir not in stored
    resp = requests.get(image_url(dep, image_id), headers=ALICE)
    assert resp.status_code == 200 and resp.content == DATA
    assert resp.headers['x-image-meta-checksum'] == hashlib.md5(DATA).hexdigest()

    delete(dep, image_id)
    for key, reason in ((None, 'it is encrypted and metadata_encryption_key is not set'),
                        ('another-key-0123456789abcdefghij',
                         'it was not encrypted with this metadata_encryption_key')):
        result = scrub(dep, key=key)
        assert result.returncode == 0
        assert 'A location of image %s cannot be read: %s' % (image_id, reason) \
            in result.stdout + result.stderr
        assert os.path.exists(data_path(dep, image_id))
        assert db_rows(dep, image_id)[0] == ('pending_delete', True)

    assert scrub(dep).returncode == 0
    assert not os.path.exists(data_path(dep, image_id))
    assert db_rows(dep, image_id)[0] == ('deleted', True)


def test_an_api_without_the_key_answers_a_clear_error(dep, server_factory):
    image_id = upload(dep)
    keyless = server_factory('glance-api', {
        'DEFAULT': {'workers': '0', 'registry_host': '127.0.0.1',
                    'registry_port': str(dep.registry.port),
                    'send_identity_headers': 'True'},
        'paste_deploy': {'flavor': 'trusted-auth'},
        'glance_store': {'filesystem_store_datadir': dep.datadir}}).start()
    resp = requests.get(keyless.url + '/v1/images/' + image_id, headers=ALICE)
    assert resp.status_code == 500
    assert ('A location of image %s cannot be read: it is encrypted and '
            'metadata_encryption_key is not set' % image_id) in resp.text
    assert 'cannot be read' in keyless.log_text()
    assert requests.get(image_url(dep, image_id), headers=ALICE).content == DATA


def test_an_api_with_a_key_aes_cannot_use_refuses_to_start(tmp_path):
    conf = tmp_path / 'glance-api.conf'
    fixtures.write_conf(str(conf), {'DEFAULT': {'metadata_encryption_key': 'short'},
                                    'glance_store': {
                                        'filesystem_store_datadir': str(tmp_path)}})
    with open(os.path.join(fixtures.REPO, 'etc', 'glance-api-paste.ini')) as src:
        (tmp_path / 'glance-api-paste.ini').write_text(src.read())
    result = subprocess.run([fixtures.venv_bin('glance-api'), '--config-file', str(conf)],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env=dict(os.environ, HOME=str(tmp_path)))
    assert result.returncode == 4
    assert 'ERROR: metadata_encryption_key must be 16, 24 or 32 bytes long (it is 5)' \
        in result.stderr


def test_restore_brings_back_a_pending_delete_image_with_its_data(dep):
    image_id = upload(dep, **{'x-image-meta-property-color': 'blue'})
    delete(dep, image_id)

    result = scrub(dep, '--restore', image_id)
    assert (result.returncode, result.stderr) == (0, '')
    resp = requests.get(image_url(dep, image_id), headers=ALICE)
    assert resp.status_code == 200 and resp.content == DATA
    assert resp.headers['x-image-meta-status'] == 'active'
    assert resp.headers['x-image-meta-property-color'] == 'blue'

    result = scrub(dep, '--restore', image_id)
    assert (result.returncode, result.stderr) == (
        1, 'ERROR: cannot restore the image from active to active (wanted '
           'from_state=pending_delete)\n')
    unknown = str(uuid.uuid4())
    result = scrub(dep, '--restore', unknown)
    assert (result.returncode, result.stderr) == (
        1, 'ERROR: No image found with ID %s\n' % unknown)
    result = scrub(dep, '--restore', image_id, '--daemon')
    assert (result.returncode, result.stderr) == (
        1, 'ERROR: The restore and daemon options should not be set together. Please '
           'use either of them in one request.\n')


def test_daemon_scrubs_on_each_wakeup_and_stops_on_sigterm(dep):
    first = upload(dep)
    delete(dep, first)
    log_path = os.path.join(dep.workdir, 'scrubber-daemon.log')
    daemon = subprocess.Popen(
        scrubber_argv(dep, '--daemon', wakeup_time=1, log_file=log_path),
        cwd=dep.workdir, env=dict(os.environ, HOME=dep.workdir),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        fixtures.wait_for(lambda: not os.path.exists(data_path(dep, first)),
                          message='the first pass')
        fixtures.wait_for(lambda: db_rows(dep, first)[0][0] == 'deleted',
                          message='the image to be marked deleted')
        second = upload(dep)
        delete(dep, second)
        fixtures.wait_for(lambda: db_rows(dep, second)[0][0] == 'deleted',
                          message='a later pass')
        assert not os.path.exists(data_path(dep, second))

        result = scrub(dep, '--restore', upload(dep))
        assert (result.returncode, result.stderr) == (
            1, 'ERROR: glance-scrubber is already running. Please ensure that the '
               'daemon is stopped.\n')

        daemon.send_signal(signal.SIGHUP)
        fixtures.wait_for(lambda: 'Reloading the configuration' in read(log_path),
                          message='the reload')
        third = upload(dep)
        delete(dep, third)
        fixtures.wait_for(lambda: db_rows(dep, third)[0][0] == 'deleted',
                          message='a pass after the reload')
        assert 'Reloading the configuration failed' not in read(log_path)

        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    assert 'glance-scrubber stopped' in read(log_path)


def read(path):
    with open(path) as f:
        return f.read()


@pytest.mark.parametrize('database, error', [
    ({}, 'ERROR: No database connection configured: set [database] connection\n'),
    ({'connection': 'sqlite:///{tmp}/empty.sqlite'},
     'ERROR: The scrubber cannot use the database: no such table: images\n'),
])
def test_a_scrubber_that_cannot_read_the_queue_fails(tmp_path, database, error):
    conf = tmp_path / 'glance-scrubber.conf'
    fixtures.write_conf(str(conf), {
        'database': {k: v.format(tmp=tmp_path) for k, v in database.items()},
        'glance_store': {'filesystem_store_datadir': str(tmp_path / 'images')}})
    result = subprocess.run([fixtures.venv_bin('glance-scrubber'), '--config-file',
                             str(conf)], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path, env=dict(os.environ, HOME=str(tmp_path)))
    assert (result.returncode, result.stderr) == (1, error)
