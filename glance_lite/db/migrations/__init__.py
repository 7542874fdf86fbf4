"""Alembic scripts (``env.py``, ``versions/``) and data migrations (``data/``)."""
