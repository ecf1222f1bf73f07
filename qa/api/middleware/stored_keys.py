"""Stored keys as the gate sees them: a snapshot of every active key, at most a second old.

The gate runs on the event loop for every request, so it never reads the database itself: it
reads a snapshot, and when the snapshot is older than QA_KEY_CACHE_SECONDS one request reloads
it in a worker thread while the others wait for that same reload. A key revoked on any replica
is therefore refused everywhere within that age (plus one query); the replica that revoked it
drops its snapshot at once. If the database cannot be read, the last snapshot keeps serving
(logged), so a database restart does not lock every stored key out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import anyio.to_thread

from qa.api.grant import Grant
from qa.settings import Settings
from qa.state import open_state
from qa.state.keys import ApiKey, active_keys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredKey:
    id: str
    secret_hash: str
    grant: Grant


@dataclass(frozen=True)
class Snapshot:
    by_hash: dict[str, StoredKey] = field(default_factory=dict)
    by_id: dict[str, StoredKey] = field(default_factory=dict)
    loaded_at: float = float("-inf")

    @property
    def scopes(self) -> frozenset[str]:
        """Every scope some stored key grants (an API with none for reading stays open)."""
        return frozenset().union(*(key.grant.scopes for key in self.by_id.values()))

    @property
    def origins(self) -> frozenset[str]:
        """Every origin named by a stored key (CORS lets those pages call the API)."""
        return frozenset().union(*(key.grant.origins or () for key in self.by_id.values()))


def grant_of_row(row: ApiKey) -> Grant:
    return Grant(
        kind="stored",
        scopes=frozenset(row.scopes),
        key_id=row.id,
        collections=tuple(row.collections) if row.collections is not None else None,
        filter={k: tuple(v) for k, v in row.filter.items()} if row.filter else None,
        origins=tuple(row.origins) if row.origins else None,
        rate_per_minute=row.rate_per_minute,
        tokens_per_minute=row.tokens_per_minute,
        expires_at=row.expires_at,
    )


class StoredKeys:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.max_age = settings.key_cache_seconds
        self.clock = clock
        self.current = Snapshot()
        self._reloading: asyncio.Lock | None = None

    def _load(self) -> Snapshot:
        store = open_state(self.settings)
        with store.session() as session:
            keys = [StoredKey(row.id, row.secret_hash, grant_of_row(row)) for row in active_keys(session)]
        return Snapshot({k.secret_hash: k for k in keys}, {k.id: k for k in keys}, self.clock())

    def _fresh(self) -> bool:
        return self.clock() - self.current.loaded_at <= self.max_age

    async def snapshot(self) -> Snapshot:
        if self._fresh():
            return self.current
        if self._reloading is None:
            self._reloading = asyncio.Lock()
        async with self._reloading:
            if not self._fresh():  # another request may have reloaded while this one waited
                try:
                    self.current = await anyio.to_thread.run_sync(self._load)
                except Exception as exc:  # keep serving the last snapshot; try again next time
                    log.error("could not read the stored keys (%s); using the last ones read", exc)
                    self.current = Snapshot(self.current.by_hash, self.current.by_id, self.clock())
        return self.current

    def load_now(self) -> Snapshot:
        """Reload synchronously (from a worker thread: after a key is created or revoked here)."""
        self.current = self._load()
        return self.current

    def invalidate(self) -> None:
        self.current = Snapshot(self.current.by_hash, self.current.by_id)

    @staticmethod
    def expired(grant: Grant, now: datetime) -> bool:
        return grant.expires_at is not None and grant.expires_at <= now
