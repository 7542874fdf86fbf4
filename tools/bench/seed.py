"""Bulk-insert image records straight into the registry's database.

Creating 100k images through the API would take longer than the benchmark itself;
the rows go in through glance_lite.db's models in a few large INSERTs instead, shaped
like what the API writes (public, active, two properties each), then the servers
serve them as usual.
"""
import datetime
import uuid

import sqlalchemy

from glance_lite.db import engine as db_engine, models

BATCH = 5000
EPOCH = datetime.datetime(2020, 1, 1)


def image_name(index):
    return 'bench-%07d' % index


def seed(db_url, start, count):
    """Add images ``start`` .. ``start + count - 1`` (names from :func:`image_name`,
    one second apart in ``created_at``); returns the ids added."""
    database = db_engine.Database(db_url)
    ids = []
    try:
        with database.engine.begin() as conn:
            for first in range(start, start + count, BATCH):
                images, props = [], []
                for index in range(first, min(first + BATCH, start + count)):
                    image_id = str(uuid.UUID(int=index + 1))
                    when = EPOCH + datetime.timedelta(seconds=index)
                    images.append({
                        'id': image_id, 'name': image_name(index), 'status': 'active',
                        'visibility': 'public', 'disk_format': 'raw',
                        'container_format': 'bare', 'size': 1024,
                        'checksum': '%032x' % index, 'owner': 'bench-owner',
                        'min_disk': 0, 'min_ram': 0, 'protected': False,
                        'os_hidden': False, 'deleted': False,
                        'created_at': when, 'updated_at': when})
                    for name, value in (('os_distro', 'bench'), ('index', str(index))):
                        props.append({'image_id': image_id, 'name': name, 'value': value,
                                      'deleted': False, 'created_at': when,
                                      'updated_at': when})
                    ids.append(image_id)
                conn.execute(sqlalchemy.insert(models.Image), images)
                conn.execute(sqlalchemy.insert(models.ImageProperty), props)
    finally:
        database.engine.dispose()
    return ids
