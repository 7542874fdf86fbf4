"""Cache bookkeeping in an SQLite database (``image_cache_sqlite_db``), Glance's
default driver, with Glance's table so an existing cache directory keeps its history."""
import os
import sqlite3
import threading
import time

from glance_lite.image_cache.drivers import base

SCHEMA = """
CREATE TABLE IF NOT EXISTS cached_images (
    image_id TEXT PRIMARY KEY,
    last_accessed REAL DEFAULT 0.0,
    last_modified REAL DEFAULT 0.0,
    size INTEGER DEFAULT 0,
    hits INTEGER DEFAULT 0,
    checksum TEXT
)
"""

# Api workers and the cron tools write to the database at the same time; a writer
# waits this long for another one's lock before giving up.  Every write is a single
# statement, so waits are short.
BUSY_TIMEOUT_SECONDS = 10


class Driver(base.Driver):
    name = 'sqlite'

    def __init__(self, cache_dir, conf):
        super().__init__(cache_dir, conf)
        self.db_path = os.path.join(cache_dir, conf.image_cache_sqlite_db)
        # One connection per process, shared by its threads under a lock: opening a
        # connection per request costs more than the statement it runs.
        self._lock = threading.Lock()
        self._conn = None
        self._pid = None
        try:
            self._execute(SCHEMA)
        except sqlite3.Error as e:
            raise base.BadDriverConfiguration(
                'The sqlite image cache driver cannot use its database %s '
                '(image_cache_sqlite_db): %s' % (self.db_path, e)) from e
        finally:
            # glance-api checks its pipeline in the master before forking workers:
            # leave no connection open across the fork.
            self._close()

    def _connection(self):
        if self._conn is None or self._pid != os.getpid():
            # After a fork the parent's connection must not be used (nor closed: it
            # is still the parent's); open our own.
            conn = sqlite3.connect(self.db_path, timeout=BUSY_TIMEOUT_SECONDS,
                                   isolation_level=None, check_same_thread=False)
            # WAL lets readers (list-cached, the pruner) run beside a writer.
            conn.execute('PRAGMA journal_mode=WAL')
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def _close(self):
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def _execute(self, sql, params=()):
        with self._lock:
            return self._connection().execute(sql, params).fetchall()

    def record_cached(self, image_id, path):
        now = time.time()
        size = os.stat(path).st_size
        self._execute('INSERT OR REPLACE INTO cached_images (image_id, last_accessed, '
                      'last_modified, size, hits) VALUES (?, ?, ?, ?, 0)',
                      (image_id, now, now, size))

    def record_hit(self, image_id, data):
        now = time.time()
        if self._execute('UPDATE cached_images SET hits = hits + 1, last_accessed = ? '
                         'WHERE image_id = ? RETURNING image_id', (now, image_id)):
            return
        # Cached before this database existed (or its row was lost): start counting.
        st = os.fstat(data.fileno())
        self._execute('INSERT OR IGNORE INTO cached_images (image_id, last_accessed, '
                      'last_modified, size, hits) VALUES (?, ?, ?, ?, 1)',
                      (image_id, now, st.st_mtime, st.st_size))

    def forget(self, image_id):
        self._execute('DELETE FROM cached_images WHERE image_id = ?', (image_id,))

    def known_ids(self):
        return [image_id for (image_id,) in
                self._execute('SELECT image_id FROM cached_images')]

    def describe(self, entries):
        rows = {r[0]: r[1:] for r in self._execute(
            'SELECT image_id, hits, last_accessed, last_modified FROM cached_images')}
        described = []
        for image_id, _path, st in entries:
            hits, last_accessed, last_modified = rows.get(image_id, (0, 0.0, st.st_mtime))
            described.append({'image_id': image_id, 'size': st.st_size, 'hits': hits,
                              'last_accessed': last_accessed,
                              'last_modified': last_modified})
        return described
