"""Data migrations run between the expand and contract schema migrations.

Each module has ``has_pending(connection) -> bool`` and ``migrate(connection) -> int``
(rows changed); both are safe to call at any schema revision.
"""
from glance_lite.db.migrations.data import ocata01_visibility

MIGRATIONS = (ocata01_visibility,)


def has_pending(connection):
    return any(m.has_pending(connection) for m in MIGRATIONS)


def migrate(connection):
    return sum(m.migrate(connection) for m in MIGRATIONS)
