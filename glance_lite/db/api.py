"""The database API the registry and the scrubber (and later v2) call.

Usage::

    from glance_lite.db import api as db_api
    db = db_api.Database.from_conf(conf)          # once per process
    image = db_api.image_get(db, ctx, image_id)

Every function takes the :class:`Database` and the caller's context (``.is_admin``,
``.owner``), runs one short transaction (retried on lock conflicts) and returns plain
dicts:

* image: ``id, name, disk_format, container_format, size, virtual_size, status,
  visibility, checksum, os_hash_algo, os_hash_value, min_disk, min_ram, owner,
  protected, os_hidden, created_at, updated_at, deleted_at`` (naive UTC datetimes),
  ``deleted``, ``properties`` {name: value}, ``locations`` [{id, url, metadata,
  status}] (insertion order), ``tags`` [str];
* member: ``id, image_id, member, can_share, status, created_at, updated_at,
  deleted_at, deleted``.

Errors are ``glance_lite.common.exception`` classes: ImageNotFound, NotFound (bad
marker, missing tag), MemberNotFound, Forbidden, Duplicate, Conflict, Invalid.
The implementations live in one module per noun; this module is the whole surface.
"""
from glance_lite.db.engine import Database
from glance_lite.db.images import (image_create, image_destroy, image_get, image_update,
                                   user_get_storage_usage)
from glance_lite.db.listing import image_get_all
from glance_lite.db.members import (image_member_count, image_member_create,
                                    image_member_delete, image_member_find,
                                    image_member_update)
from glance_lite.db.purge import purge_deleted_images, purge_deleted_rows
from glance_lite.db.scrub import (image_restore, image_set_scrubbed, location_set_scrubbed,
                                  pending_delete_images)
from glance_lite.db.tags import (image_tag_create, image_tag_delete, image_tag_get_all,
                                 image_tag_set_all)
from glance_lite.db.validation import IMAGE_STATUSES

__all__ = [
    'Database', 'IMAGE_STATUSES',
    'image_create', 'image_update', 'image_destroy', 'image_get', 'image_get_all',
    'user_get_storage_usage',
    'image_member_find', 'image_member_create', 'image_member_update',
    'image_member_delete', 'image_member_count',
    'image_tag_set_all', 'image_tag_create', 'image_tag_delete', 'image_tag_get_all',
    'purge_deleted_rows', 'purge_deleted_images',
    'pending_delete_images', 'location_set_scrubbed', 'image_set_scrubbed',
    'image_restore',
]
