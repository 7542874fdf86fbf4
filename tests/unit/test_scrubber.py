"""Scrubber rules over a real database and a real file store: what gets deleted,
when, and what stays pending_delete for the next pass."""
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest

from glance_lite import scrubber, store
from glance_lite.common import crypt
from glance_lite.db import api as db_api
from glance_lite.db import models
from tests.functional.fixtures import wait_for
from tests.unit.db.dbtest import ADMIN, backdate, make_image, user
from tests.unit.store.store_testlib import make_conf

OWNER = user('owner')
KEY = 's' * 32


@pytest.fixture
def db_kind():
    # The queries are tested on every engine in tests/unit/db/test_db_scrub.py.
    return 'sqlite'


@pytest.fixture
def datadir(tmp_path):
    path = tmp_path / 'images'
    path.mkdir()
    return path


@pytest.fixture
def stores(datadir):
    return store.load_stores(make_conf(filesystem_store_datadir=str(datadir)))


def stored_file(datadir, content=b'data'):
    path = datadir / str(uuid.uuid4())
    path.write_bytes(content)
    return path


def pending(db, *urls, cipher=None):
    """An image deleted with delayed_delete whose locations are ``urls``."""
    cipher = cipher or crypt.LocationCipher(None)
    image = make_image(db, OWNER, locations=[cipher.encrypt(u) for u in urls])
    locations = [dict(loc, status='pending_delete') for loc in image['locations']]
    db_api.image_update(db, OWNER, image['id'], {'status': 'pending_delete',
                                                 'locations': locations})
    db_api.image_destroy(db, OWNER, image['id'])
    return image['id']


def status(db, image_id):
    return db_api.image_get(db, ADMIN, image_id, force_show_deleted=True)['status']


def location_statuses(db, image_id):
    image = db_api.image_get(db, ADMIN, image_id, force_show_deleted=True)
    return [loc['status'] for loc in image['locations']]


def make_scrubber(db, stores, key=None, **kwargs):
    return scrubber.Scrubber(db, stores, crypt.LocationCipher(key), **kwargs)


def test_pass_deletes_the_data_then_marks_locations_and_image_deleted(db, stores, datadir):
    files = [stored_file(datadir), stored_file(datadir)]
    image_id = pending(db, *('file://%s' % f for f in files))
    live = stored_file(datadir)
    make_image(db, OWNER, locations=['file://%s' % live])

    report = make_scrubber(db, stores).run_once()

    assert report == scrubber.PassReport(scrubbed=1, failed=0)
    assert not any(f.exists() for f in files) and live.exists()
    assert status(db, image_id) == 'deleted'
    assert location_statuses(db, image_id) == ['deleted', 'deleted']
    assert make_scrubber(db, stores).run_once() == scrubber.PassReport()


def test_scrub_time_keeps_recent_deletions_for_later(db, stores, datadir):
    old_file, new_file = stored_file(datadir), stored_file(datadir)
    old = pending(db, 'file://%s' % old_file)
    new = pending(db, 'file://%s' % new_file)
    backdate(db, models.Image, 1, id=old)

    report = make_scrubber(db, stores, scrub_time=3600).run_once()

    assert report.scrubbed == 1
    assert (status(db, old), old_file.exists()) == ('deleted', False)
    assert (status(db, new), new_file.exists()) == ('pending_delete', True)


def test_external_data_is_left_alone_and_the_image_finished(db, stores):
    image_id = pending(db, 'http://example.com/disk.img')
    assert make_scrubber(db, stores).run_once().scrubbed == 1
    assert status(db, image_id) == 'deleted'


def test_data_already_gone_counts_as_deleted(db, stores, datadir):
    image_id = pending(db, 'file://%s/%s' % (datadir, uuid.uuid4()))
    assert make_scrubber(db, stores).run_once().scrubbed == 1
    assert status(db, image_id) == 'deleted'


def test_a_store_failure_leaves_the_image_pending_for_the_next_pass(db, stores, datadir):
    kept = datadir / str(uuid.uuid4())
    kept.mkdir()  # the file store cannot unlink a directory: a real store error
    done = stored_file(datadir)
    image_id = pending(db, 'file://%s' % done, 'file://%s' % kept)

    report = make_scrubber(db, stores).run_once()

    assert report == scrubber.PassReport(scrubbed=0, failed=1)
    assert not done.exists() and kept.exists()
    assert status(db, image_id) == 'pending_delete'
    assert location_statuses(db, image_id) == ['deleted', 'pending_delete']

    kept.rmdir()
    kept.write_bytes(b'data')
    assert make_scrubber(db, stores).run_once().scrubbed == 1
    assert status(db, image_id) == 'deleted' and not kept.exists()


def test_a_store_not_configured_here_keeps_the_data_and_the_record(db, stores):
    image_id = pending(db, 'swift://account/container/obj')
    assert make_scrubber(db, stores).run_once().failed == 1
    assert status(db, image_id) == 'pending_delete'
    assert location_statuses(db, image_id) == ['pending_delete']


def test_encrypted_locations_need_the_same_key(db, stores, datadir):
    data = stored_file(datadir)
    image_id = pending(db, 'file://%s' % data, cipher=crypt.LocationCipher(KEY))

    assert make_scrubber(db, stores).run_once().failed == 1
    assert make_scrubber(db, stores, key='w' * 32).run_once().failed == 1
    assert data.exists() and status(db, image_id) == 'pending_delete'

    assert make_scrubber(db, stores, key=KEY).run_once().scrubbed == 1
    assert not data.exists() and status(db, image_id) == 'deleted'


def test_parallel_pool_and_paging_reach_every_image(db, stores, datadir):
    files = [stored_file(datadir) for _ in range(7)]
    ids = [pending(db, 'file://%s' % f) for f in files]
    report = make_scrubber(db, stores, pool_size=3, page_size=2).run_once()
    assert report.scrubbed == 7
    assert {status(db, i) for i in ids} == {'deleted'}
    assert not any(f.exists() for f in files)


def test_a_pass_told_to_stop_starts_no_image(db, stores, datadir):
    data = stored_file(datadir)
    image_id = pending(db, 'file://%s' % data)
    assert make_scrubber(db, stores).run_once(lambda: True) == scrubber.PassReport()
    assert data.exists() and status(db, image_id) == 'pending_delete'


class CountingScrubber:
    """Stands in for a Scrubber in the daemon loop: counts passes."""

    def __init__(self):
        self.passes = threading.Semaphore(0)

    def run_once(self, stopping):
        self.passes.release()


def run_in_thread(daemon):
    thread = threading.Thread(target=daemon.run)
    thread.start()
    return thread


def test_daemon_repeats_passes_and_stops_at_once():
    scrubbers = []

    def build(reload):
        scrubbers.append((reload, CountingScrubber()))
        return scrubbers[-1][1], 3600

    daemon = scrubber.Daemon(build)
    thread = run_in_thread(daemon)
    assert scrubbers[0][1].passes.acquire(timeout=10)
    daemon.reload()  # wakes it: a new scrubber makes the next pass at once
    wait_for(lambda: len(scrubbers) == 2, message='the reload')
    assert [r for r, _ in scrubbers] == [False, True]
    assert scrubbers[1][1].passes.acquire(timeout=10)

    started = time.monotonic()
    daemon.stop()
    thread.join(timeout=10)
    assert not thread.is_alive() and time.monotonic() - started < 5


def test_daemon_wakes_every_wakeup_time():
    counting = CountingScrubber()
    daemon = scrubber.Daemon(lambda reload: (counting, 0.05))
    thread = run_in_thread(daemon)
    try:
        for _ in range(3):
            assert counting.passes.acquire(timeout=10)
    finally:
        daemon.stop()
        thread.join(timeout=10)


def test_a_failed_reload_keeps_the_running_settings():
    counting = CountingScrubber()

    def build(reload):
        if reload:
            raise RuntimeError('bad file')
        return counting, 3600

    daemon = scrubber.Daemon(build)
    thread = run_in_thread(daemon)
    try:
        assert counting.passes.acquire(timeout=10)
        daemon.reload()
        assert counting.passes.acquire(timeout=10)
    finally:
        daemon.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_running_scrubbers_finds_processes_and_live_pid_files(tmp_path):
    # Other glance-scrubber processes may run on this host: look at known pids only.
    pid_file = tmp_path / 'glance-scrubber.pid'
    pid_file.write_text('999999999\n')  # stale: no such process
    assert 999999999 not in scrubber.running_scrubbers(str(pid_file))

    helper = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    named = subprocess.Popen(['glance-scrubber', '60'], executable='/bin/sleep')
    try:
        # /proc shows an empty command line for a moment around exec.
        wait_for(lambda: scrubber._argv(named.pid), message='the command line')
        pid_file.write_text('%d\n' % helper.pid)
        found = scrubber.running_scrubbers(str(pid_file))
        assert helper.pid in found and named.pid in found
        assert os.getpid() not in found
    finally:
        for proc in (helper, named):
            proc.kill()
            proc.wait()
