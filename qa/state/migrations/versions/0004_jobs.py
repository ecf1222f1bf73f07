"""Document jobs (were a jobs.json file in the index folder, one per server).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from qa.state.db import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("job_id", sa.String(32), primary_key=True),
        sa.Column("doc_id", sa.String(100), nullable=False, index=True),
        sa.Column("collection", sa.String(63), nullable=False, server_default="default"),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created", UtcDateTime(), nullable=False, index=True),
        sa.Column("started", UtcDateTime(), nullable=True),
        sa.Column("finished", UtcDateTime(), nullable=True),
        sa.Column("index_version", sa.String(80), nullable=True),
        sa.Column("staged", sa.JSON(), nullable=False),
        sa.Column("remove", sa.JSON(), nullable=False),
        sa.Column("staging_dir", sa.Text(), nullable=True),
        sa.Column("backup_dir", sa.Text(), nullable=True),
        sa.Column("texts_embedded", sa.Integer(), nullable=False),
        sa.Column("texts_expected", sa.Integer(), nullable=True),
        sa.Column("resumed", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("heartbeat", UtcDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("jobs")
