"""API keys: where a client puts one, a constant-time check against the configured ones, and the
origin check of keys meant for web pages."""

from __future__ import annotations

import hashlib
import hmac

from starlette.datastructures import Headers


def presented_key(headers: Headers) -> str | None:
    """The key from `Authorization: Bearer …` or `X-API-Key`, if any."""
    auth = headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    key = headers.get("x-api-key", "").strip()
    return key or None


def fingerprint(key: str) -> str:
    """A short, non-reversible name for a key: safe for logs and rate-limit buckets."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:12]


class KeyRing:
    """A set of secrets compared in constant time (digests first, so lengths leak nothing)."""

    def __init__(self, keys: list[str]) -> None:
        self._digests = [hashlib.sha256(k.encode("utf-8")).digest() for k in keys]

    def __bool__(self) -> bool:
        return bool(self._digests)

    def matches(self, key: str | None) -> bool:
        if key is None:
            return False
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
        found = False
        for known in self._digests:  # no early exit: the time does not depend on which key
            found |= hmac.compare_digest(digest, known)
        return found


def origin_allowed(headers: Headers, allowed_origins: tuple[str, ...] | list[str]) -> bool:
    """True for a browser page on one of `allowed_origins` ('*' = any page).

    Compared with configured origins only, never with the request's Host header: Host is the
    client's to choose, so "same site as Host" would let any script that sets both through.
    """
    origin = headers.get("origin", "").rstrip("/")
    if not origin or origin == "null":
        return False
    return origin in allowed_origins or "*" in allowed_origins
