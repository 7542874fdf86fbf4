"""Alembic environment: runs on the connection glance_lite.db.migration hands over.

There is no alembic.ini: the configuration is built in code and the open connection
travels in ``config.attributes['connection']``.
"""
from alembic import context

from glance_lite.db import models


def run_migrations_online():
    connection = context.config.attributes.get('connection')
    if connection is None:
        raise RuntimeError('glance_lite migrations run through glance_lite.db.migration')
    context.configure(
        connection=connection,
        target_metadata=models.Base.metadata,
        # SQLite can ALTER almost nothing: copy-and-move tables instead.
        render_as_batch=connection.dialect.name == 'sqlite',
        compare_type=True,
        # MySQL cannot roll DDL back anyway; per-migration commits keep the recorded
        # revision in step with what was really applied on every engine.
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError('glance_lite migrations do not support offline (SQL) mode')
run_migrations_online()
