"""Mitaka: index images.created_at and images.updated_at (list sorts, changes-since).

Revision ID: mitaka01
Revises: liberty
"""
from alembic import op

revision = 'mitaka01'
down_revision = 'liberty'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('created_at_image_idx', 'images', ['created_at'])
    op.create_index('updated_at_image_idx', 'images', ['updated_at'])
