"""Connection hygiene for `qa serve`: the timeouts and caps uvicorn's HTTP/1.1 protocol lacks.

uvicorn closes a connection idle *between* requests (keep-alive timeout) and can answer 503 past
a number of requests, but a connection that never finishes its request headers, or stalls in
the middle of a body, is kept for ever, and so is any number of them. `GuardedH11Protocol`
(`qa serve` passes it as uvicorn's `http` protocol) adds, from settings:
- the request headers must be complete within QA_HEADER_TIMEOUT_SECONDS of the connection
  opening (or of the previous response plus the keep-alive time): a slowloris that trickles
  header bytes is closed, however slowly it trickles;
- a request body must keep coming: at most QA_BODY_TIMEOUT_SECONDS between two pieces;
- at most QA_MAX_CONNECTIONS open connections, and QA_MAX_CONNECTIONS_PER_CLIENT from one
  address: a connection past either is closed as soon as it is accepted.
Behind a reverse proxy the proxy's own limits come first (docs/deployment.md).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from qa.settings import Settings, get_settings


@dataclass(frozen=True)
class ConnectionLimits:
    header_seconds: float = 10.0
    body_seconds: float = 30.0
    keep_alive_seconds: float = 5.0
    max_connections: int = 1000
    max_per_client: int = 64

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(
            settings.header_timeout_seconds,
            settings.body_timeout_seconds,
            settings.keep_alive_seconds,
            settings.max_connections,
            settings.max_connections_per_client,
        )


class GuardedH11Protocol(H11Protocol):
    limits: ConnectionLimits | None = None  # None: from the settings (QA_* environment)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.guard = self.limits or ConnectionLimits.from_settings(get_settings())
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing() and self.conn.their_state is not h11.DONE:
            self.transport.close()  # a request never completed in time; nobody to answer

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = self.client[0] if self.client else None
        same = sum(1 for c in self.connections if c.client and c.client[0] == address) if address else 0
        if len(self.connections) > self.guard.max_connections or same > self.guard.max_per_client:
            transport.close()
            return
        self._arm(self.guard.header_seconds)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._arm(self.guard.body_seconds)  # the headers are in: now the body must flow
        elif state is not h11.IDLE:
            self._disarm()  # the request is complete (or the connection ends): the app's turn
        # IDLE: still reading headers; the deadline armed when they were awaited stands.

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm(self.guard.keep_alive_seconds + self.guard.header_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
