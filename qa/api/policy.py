"""What each route asks of its caller, declared beside the route and read before the body is.

A route states its policy once, with `@declare(RoutePolicy(...))` under its router decorator:
the scope a key needs (None = public), the body fields that cost encoder tokens, and whether it
takes a document upload. The middleware find the matched route's policy from the request's
method and path alone (`policy_for`), so a caller without the right key, over its rate or with
an oversized body is refused before a byte of the body is read, and adding an endpoint means
adding its route module, its schemas and its doc entry: no path lists elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope

Scope_ = Literal["search", "ask", "documents:read", "documents:write", "admin"]
SCOPES: tuple[Scope_, ...] = ("search", "ask", "documents:read", "documents:write", "admin")
POLICY_ATTRIBUTE = "qa_policy"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


@dataclass(frozen=True)
class RoutePolicy:
    """`scope` None: anyone may call it (health, widget files, docs). `cost_fields`: the JSON
    body fields whose text the encoder reads (a list of strings counts each). `upload`: the body
    is multipart/form-data with document files, held to the document limits, not the JSON one."""

    scope: Scope_ | None = None
    cost_fields: tuple[str, ...] = ()
    upload: bool = False
    form: bool = False  # a small HTML form (application/x-www-form-urlencoded) instead of JSON

    @property
    def public(self) -> bool:
        return self.scope is None


PUBLIC = RoutePolicy()


def declare(policy: RoutePolicy) -> Callable[[Endpoint], Endpoint]:
    """Attach `policy` to a route's endpoint (put it under the `@router.get/post` line)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, POLICY_ATTRIBUTE, policy)
        return endpoint

    return mark


def declare_mount(mount: Mount, policy: RoutePolicy) -> Mount:
    """The same for a mounted sub-application (every path under it shares one policy)."""
    setattr(mount, POLICY_ATTRIBUTE, policy)
    return mount


class PolicyTable:
    """Every route's policy, found from a request's method and path alone.

    Built from the routers the app includes (their own routes, which carry the endpoints), so
    it does not depend on how the framework nests included routers."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.routes = list(routes)

    def add(self, routes: list[BaseRoute]) -> None:
        self.routes.extend(routes)

    def lookup(self, scope: Scope) -> RoutePolicy | None:
        """The policy of the route that will serve this request; None when no route matches its
        path and method (the app answers 404 or 405 without reading the body)."""
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                owner = route if isinstance(route, Mount) else getattr(route, "endpoint", None)
                return getattr(owner, POLICY_ATTRIBUTE, PUBLIC)
        return None
