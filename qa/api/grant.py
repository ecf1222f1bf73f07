"""What a request may do, resolved once by the access gate and read by the routes.

A grant comes from an environment key, a stored key (qa.state.keys) or a visitor token signed
for a stored key; an anonymous request on an open API gets one too. Routes read it from the
ASGI scope (`grant_of`) to keep a key inside its collections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from starlette.types import Scope

from qa.api.policy import SCOPES, Scope_

GRANT_SCOPE_KEY = "qa.grant"
READ_SCOPES: frozenset[Scope_] = frozenset({"search", "ask", "documents:read"})
ALL_SCOPES: frozenset[Scope_] = frozenset(SCOPES)

GrantKind = Literal["anonymous", "env", "stored", "visitor"]


@dataclass(frozen=True)
class Grant:
    """`collections`, `filter`, `origins` and the budgets are None when unrestricted."""

    kind: GrantKind
    scopes: frozenset[str]
    key_id: str | None = None
    collections: tuple[str, ...] | None = None
    filter: dict[str, tuple[str, ...]] | None = None
    origins: tuple[str, ...] | None = None
    rate_per_minute: float | None = None
    tokens_per_minute: float | None = None
    expires_at: datetime | None = None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    def may_use(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections


# Without any key configured the API is open for reading, as it always was; writing documents
# and administration always need a key.
OPEN = Grant(kind="anonymous", scopes=READ_SCOPES)
NOTHING = Grant(kind="anonymous", scopes=frozenset())


def grant_of(scope: Scope) -> Grant:
    """The grant the gate resolved for this request (NOTHING outside the gate, e.g. in tests of
    a bare router: a route never gets more than the gate gave)."""
    return scope.get(GRANT_SCOPE_KEY, NOTHING)
