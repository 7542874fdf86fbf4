"""Delayed delete, second half: glance-scrubber removes the data of deleted images.

glance-api with ``delayed_delete`` leaves a deleted image ``pending_delete`` with its
data in place (cache-and-scrubber.md §5).  One scrub pass (:meth:`Scrubber.run_once`)
takes the images that have waited ``scrub_time`` seconds, ``scrub_pool_size`` at a
time, and for each one deletes the data of every pending location from its store,
marks that location ``deleted``, and finally marks the image ``deleted``.  Any failure
(store unreachable, store not configured here, a location this key cannot decrypt)
leaves the image ``pending_delete`` for the next pass: the record never claims data is
gone while it is still stored.

:class:`Daemon` repeats passes every ``wakeup_time`` seconds until told to stop.
The scrubber reads and writes the database directly (glance_lite.db), as Glance's does.
"""
import concurrent.futures
import dataclasses
import datetime
import logging
import os
import select

from glance_lite.common import crypt, exception
from glance_lite.db import api as db_api
from glance_lite.store import Capability, redact_uri

LOG = logging.getLogger(__name__)

PAGE_SIZE = 1000
PID_FILE = '/var/run/glance/glance-scrubber.pid'
_PROGRAM = 'glance-scrubber'
_MODULE = 'glance_lite.cmd.scrubber'


@dataclasses.dataclass
class PassReport:
    """What one pass did: images scrubbed, and images left pending for the next."""

    scrubbed: int = 0
    failed: int = 0


class Scrubber:
    """One scrub pass at a time over the images waiting in ``pending_delete``.

    :param db: a :class:`glance_lite.db.api.Database`.
    :param stores: the :class:`glance_lite.store.Stores` from ``[glance_store]``.
    :param cipher: a :class:`~glance_lite.common.crypt.LocationCipher` with the api's
        ``metadata_encryption_key``.
    :param scrub_time: seconds an image stays pending_delete before it is scrubbed.
    :param pool_size: images scrubbed in parallel.
    """

    def __init__(self, db, stores, cipher, scrub_time=0, pool_size=1, page_size=PAGE_SIZE):
        self.db = db
        self.stores = stores
        self.cipher = cipher
        self.scrub_time = scrub_time
        self.pool_size = pool_size
        self.page_size = page_size

    @classmethod
    def from_conf(cls, conf, db, stores):
        return cls(db, stores, crypt.LocationCipher(conf.metadata_encryption_key),
                   scrub_time=conf.scrub_time, pool_size=conf.scrub_pool_size)

    def run_once(self, stopping=lambda: False):
        """Scrub every image whose ``scrub_time`` has passed; returns a PassReport.

        :param stopping: polled before each image; once true, no new image starts
            and the pass ends when those in progress are done.
        :raises: database errors reading the queue (nothing was changed for the
            images not reached).
        """
        cutoff = self.db.now() - datetime.timedelta(seconds=self.scrub_time)
        report = PassReport()

        def scrub(image):
            return None if stopping() else self.scrub_image(image)

        with concurrent.futures.ThreadPoolExecutor(self.pool_size) as pool:
            marker = None
            while not stopping():
                page = db_api.pending_delete_images(self.db, cutoff, self.page_size,
                                                    marker)
                for done in pool.map(scrub, page):
                    if done is not None:
                        report.scrubbed += done
                        report.failed += not done
                if len(page) < self.page_size:
                    break
                marker = (page[-1]['deleted_at'], page[-1]['id'])
        if report.scrubbed or report.failed:
            LOG.info('Scrub pass done: %d image(s) scrubbed, %d left pending_delete',
                     report.scrubbed, report.failed)
        return report

    def scrub_image(self, image):
        """Delete the data of one queued image (an entry of
        ``db_api.pending_delete_images``), then mark it deleted.

        :returns: True when the image is done, False when it stays pending_delete.
        """
        complete = True
        for loc in image['locations']:
            try:
                self._delete_data(image['id'], loc)
            except Exception as e:
                complete = False
                if isinstance(e, exception.GlanceException):
                    LOG.warning('Could not delete the data of image %s at location %s: '
                                '%s; it stays pending_delete', image['id'], loc['id'], e)
                else:
                    LOG.exception('Could not delete the data of image %s at location '
                                  '%s; it stays pending_delete', image['id'], loc['id'])
                continue
            db_api.location_set_scrubbed(self.db, loc['id'])
        if not complete:
            return False
        if db_api.image_set_scrubbed(self.db, image['id']):
            LOG.info('Image %s scrubbed', image['id'])
        return True

    def _delete_data(self, image_id, loc):
        url = self.cipher.decrypt(loc['url'], image_id)
        store = self.stores.for_uri(url)
        if Capability.WRITE not in store.capabilities:
            # External data (an http location): the image only pointed at it.
            LOG.info('Image %s pointed at external data %s; left in place', image_id,
                     redact_uri(url))
            return
        try:
            store.delete(url)
        except exception.NotFound:
            LOG.info('Data of image %s at %s was already gone', image_id, redact_uri(url))


class Daemon:
    """Scrub passes every ``wakeup_time`` seconds until :meth:`stop`.

    :meth:`stop` and :meth:`reload` only set a flag and write to a pipe, so signal
    handlers may call them at any moment: the daemon notices between two images or
    while it waits, finishes the deletions in progress and returns.

    :param build: ``build(reload)`` → ``(Scrubber, wakeup_time)``; called once at
        start (``reload=False``) and after each :meth:`reload` (``True``: re-read the
        configuration).  A failing reload is logged and the old settings stay.
    """

    def __init__(self, build):
        self._build = build
        self._stopping = False
        self._reloading = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    def stop(self):
        self._stopping = True
        self._wake()

    def reload(self):
        self._reloading = True
        self._wake()

    def _wake(self):
        try:
            os.write(self._wake_w, b'.')
        except BlockingIOError:
            pass  # the pipe is full: a wake-up is pending anyway

    def _sleep(self, seconds):
        select.select([self._wake_r], [], [], seconds)
        try:
            while os.read(self._wake_r, 512):
                pass
        except BlockingIOError:
            pass

    def run(self):
        scrubber, wakeup_time = self._build(False)
        try:
            while not self._stopping:
                if self._reloading:
                    self._reloading = False
                    scrubber, wakeup_time = self._rebuilt(scrubber, wakeup_time)
                try:
                    scrubber.run_once(lambda: self._stopping)
                except Exception:
                    LOG.exception('Scrub pass failed; next try in %d seconds',
                                  wakeup_time)
                if not self._stopping and not self._reloading:
                    self._sleep(wakeup_time)
        finally:
            os.close(self._wake_r)
            os.close(self._wake_w)
        LOG.info('glance-scrubber stopped')

    def _rebuilt(self, scrubber, wakeup_time):
        LOG.info('Reloading the configuration')
        try:
            return self._build(True)
        except Exception:
            LOG.exception('Reloading the configuration failed; keeping the old one')
            return scrubber, wakeup_time


def _argv(pid):
    try:
        with open('/proc/%s/cmdline' % pid, 'rb') as f:
            return [a.decode('utf-8', 'replace') for a in f.read().split(b'\0') if a]
    except OSError:
        return []


def _is_scrubber(argv):
    # The program itself (argv[0]), or run by an interpreter (argv[1]), or the module.
    names = [os.path.basename(a) for a in argv[:2]]
    return _PROGRAM in names or _MODULE in argv[1:3]


def _pid_in_file(path):
    try:
        with open(path) as f:
            pid = int(f.read().strip() or 0)
    except (OSError, ValueError):
        return None
    return pid if pid > 0 and os.path.exists('/proc/%d' % pid) else None


def running_scrubbers(pid_file=PID_FILE):
    """Pids of the other glance-scrubber processes on this host: the one named in
    the pid file glance-control writes (if still alive), and any process running the
    program.  (Glance also trusted a stale pid file; a dead pid is ignored here.)"""
    me = os.getpid()
    found = set()
    pid = _pid_in_file(pid_file)
    if pid is not None:
        found.add(pid)
    for entry in os.listdir('/proc'):
        if entry.isdigit() and _is_scrubber(_argv(entry)):
            found.add(int(entry))
    found.discard(me)
    return sorted(found)
