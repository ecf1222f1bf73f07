"""Per-client token buckets, in process.

Hand-written because it is twenty lines: the `limits` package offers windows, not buckets, and
a shared store (Redis) is a deployment choice documented in docs/deployment.md.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBuckets:
    """Each client may spend `burst` tokens at once, refilled at `per_minute` (a token is one
    request for the request limits, one encoder token for the cost limits).

    Only the event loop thread touches this, so it needs no lock. The least recently seen
    clients are forgotten past `max_clients` (a forgotten client simply starts full again).
    """

    def __init__(
        self, per_minute: float, burst: int, max_clients: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if per_minute <= 0 or burst <= 0:
            raise ValueError("per_minute and burst must be positive")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str, amount: float = 1.0) -> float:
        """Spend `amount` tokens: 0.0 when allowed, else the seconds until they are available.

        An amount above the burst can never be spent: callers cap it (per-query token limit).
        """
        now = self.clock()
        tokens, last = self._buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= amount:
            tokens -= amount
        else:
            wait = (amount - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait


def retry_after_header(wait: float) -> str:
    return str(max(1, math.ceil(wait)))


class KeyBudgets:
    """Each stored key's own allowance (its `rate_per_minute` or `tokens_per_minute`), shared by
    all its clients, in a bucket of ten seconds' worth (never less than `min_burst`).

    Unlike TokenBuckets this is also charged from route threads (token budgets), hence the lock.
    """

    def __init__(self, min_burst: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.min_burst = min_burst
        self.clock = clock
        self._by_rate: dict[float, TokenBuckets] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str, per_minute: float, amount: float = 1.0) -> float:
        """0.0 when allowed, else the seconds until `amount` is available (see TokenBuckets.take)."""
        with self._lock:
            buckets = self._by_rate.get(per_minute)
            if buckets is None:
                burst = max(self.min_burst, math.ceil(per_minute / 6))
                buckets = self._by_rate[per_minute] = TokenBuckets(per_minute, burst, clock=self.clock)
            return buckets.take(key_id, min(amount, buckets.burst))
