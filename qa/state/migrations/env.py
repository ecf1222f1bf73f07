"""Alembic environment: run with a connection handed over by qa.state.db.upgrade."""

from __future__ import annotations

from alembic import context

import qa.state  # noqa: F401  (imports every table module, so Base.metadata is complete)
from qa.state.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations through qa.state.db.upgrade (it passes the connection)")

# render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite"
)
with context.begin_transaction():
    context.run_migrations()
