"""Question log, feedback and shared server secrets.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from qa.state.db import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ask_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("answer_id", sa.String(80), nullable=False, unique=True),
        sa.Column("at", UtcDateTime(), nullable=False, index=True),
        sa.Column("kind", sa.String(8), nullable=False, server_default="ask"),
        sa.Column("collection", sa.String(63), nullable=False, server_default="default"),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("script", sa.String(8), nullable=True),
        sa.Column("support", sa.String(8), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("cited", sa.JSON(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("visitor", sa.String(32), nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("answer_id", sa.String(80), nullable=False, index=True),
        sa.Column("visitor", sa.String(32), nullable=False),
        sa.Column("rating", sa.String(4), nullable=False),
        sa.Column("reason", sa.String(16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False, index=True),
        sa.UniqueConstraint("answer_id", "visitor", name="one_rating_per_visitor"),
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
    op.drop_table("feedback")
    op.drop_table("ask_log")
