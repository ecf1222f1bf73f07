"""The state store: what the service keeps besides its indexes (keys, collections, …).

SQLAlchemy 2 over SQLite in the index folder by default, or PostgreSQL with QA_DATABASE_URL so
several replicas share one state. The schema is created and upgraded by Alembic migrations
shipped in `qa/state/migrations`, run at start (`open_state`).

Layout: `db` holds the declarative base, the engine and the migration runner; each table group
has its own module (`keys`, `collections`). A new table group adds a module with its ORM
classes, imports it below (so the migrations see its metadata) and adds a migration file in
`migrations/versions` whose `down_revision` is the current head.
"""

from __future__ import annotations

from qa.state import analytics, collections, jobs, keys  # noqa: F401  (register their tables on Base.metadata)
from qa.state.db import Base, StateStore, database_url, open_state

__all__ = ["Base", "StateStore", "database_url", "open_state"]
