"""Early retries wait: a client that was told to come back later (429 or 503 with Retry-After)
and asks again sooner has its request held, its body unread, until the time it was given (at
most QA_EARLY_RETRY_HOLD_SECONDS), and only then is the request read and handled as usual.

A refusal is cheap but not free: the request is parsed, its client found, its body read and
priced, and the answer written. A client that ignores Retry-After and retries in a tight loop
makes the server spend its CPU on refusals, and the clients that wait their turn pay for it in
latency. Held, such a client sends at most one request per Retry-After on each connection (and
its connections are capped per address, qa/api/connections.py); a held request costs an idle
coroutine. This is what nginx's `limit_req` does without `nodelay`: excess requests are delayed,
not answered at once. A client that honours Retry-After never waits here.

A request held the whole cap may still be refused when it is handled (its rate not yet
refilled, the encoder still busy): it is delayed, never answered differently.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.types import Message, Send

from qa.api.metrics import EARLY_RETRIES_HELD

RETRY_STATUSES = frozenset({429, 503})


def retry_after_seconds(message: Message) -> float | None:
    """The delay-seconds of a response start's Retry-After header (None: none, or an HTTP date)."""
    for name, value in message.get("headers", ()):
        if name.lower() == b"retry-after":
            text = value.decode("latin-1").strip()
            return float(text) if text.isdigit() else None
    return None


class _Line:
    """The requests of one client that was asked to wait: they go one at a time."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class RetryHold:
    """Remembers, per client, until when it was asked to wait; `turn` makes an early request wait.

    While a client has such a time, or requests waiting for one, its requests go one at a time,
    each after the previous one is done (which may have set a new time): a client that opens
    many connections is held like one that opens one.

    Only the event loop thread touches this, so it needs no thread lock. The least recently
    refused clients are forgotten past `max_clients` (a forgotten client is simply not held).
    """

    def __init__(
        self, max_hold_seconds: float, max_clients: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_hold = max_hold_seconds
        self.max_clients = max_clients
        self.clock = clock
        self._until: OrderedDict[str, float] = OrderedDict()
        self._lines: dict[str, _Line] = {}

    @property
    def enabled(self) -> bool:
        return self.max_hold > 0

    def due_in(self, client: str) -> float:
        """Seconds until `client` may ask again (0.0: now), at most the cap."""
        until = self._until.get(client)
        if until is None:
            return 0.0
        wait = until - self.clock()
        if wait <= 0:
            del self._until[client]
            return 0.0
        return min(wait, self.max_hold)

    def record(self, client: str, retry_after: float) -> None:
        # An earlier refusal that asked for longer still stands; the client moves to the newest end.
        self._until[client] = max(self.clock() + retry_after, self._until.pop(client, 0.0))
        while len(self._until) > self.max_clients:
            self._until.popitem(last=False)

    @asynccontextmanager
    async def turn(self, client: str, send: Send) -> AsyncIterator[Send]:
        """Wait for `client`'s turn; yields the `send` to answer with, which notes a Retry-After."""
        if not self.enabled:
            yield send
            return
        if client not in self._lines and not self.due_in(client):
            yield self._watched(client, send)
            return
        line = self._lines.setdefault(client, _Line())
        line.users += 1
        try:
            async with line.lock:
                wait = self.due_in(client)
                if wait:
                    EARLY_RETRIES_HELD.inc()
                    await asyncio.sleep(wait)
                yield self._watched(client, send)
        finally:
            line.users -= 1
            if not line.users:
                del self._lines[client]

    def _watched(self, client: str, send: Send) -> Send:
        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") in RETRY_STATUSES:
                seconds = retry_after_seconds(message)
                if seconds:
                    self.record(client, seconds)
            await send(message)

        return watched
