"""The image-record database: models, queries (``api``) and alembic migrations."""
