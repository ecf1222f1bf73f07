"""Keys and collections.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from qa.state.db import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("collections", sa.JSON(), nullable=True),
        sa.Column("filter", sa.JSON(), nullable=True),
        sa.Column("origins", sa.JSON(), nullable=True),
        sa.Column("rate_per_minute", sa.Float(), nullable=True),
        sa.Column("tokens_per_minute", sa.Float(), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
    )
    collections = op.create_table(
        "collections",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    # The demo corpus (QA_CORPUS_DIR) is the collection `default` from the start.
    op.bulk_insert(collections, [{"name": "default", "title": "", "created_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("collections")
    op.drop_table("api_keys")
