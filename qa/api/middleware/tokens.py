"""Visitor tokens: short-lived JWTs (HS256) a site's backend mints for one visitor, offline.

Each stored key has a token signing secret, returned once when the key is created. It is not
the key itself: the database keeps only a hash of the key, and a hash cannot check an HMAC
signature. It is derived instead, HMAC-SHA256(server secret, key id), so the server recomputes
it from the token's `key_id` with no database read and no secret of the key stored anywhere; a
stolen database mints no tokens. Rotating QA_TOKEN_SECRET invalidates every signing secret.

Claims: `key_id` (required), `exp` (required), and optionally `scopes`, `collections` and
`filter`, which may only narrow the key's: a token's filter is ANDed with its key's, and one that
would allow a value its key's filter does not (on a field both name) is refused as widening.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import replace
from pathlib import Path

import jwt

from qa.api.grant import READ_SCOPES, Grant
from qa.settings import Settings
from qa.store.filters import widening_field

log = logging.getLogger(__name__)

SECRET_FILE = ".token-secret"
ALGORITHM = "HS256"
LEEWAY_SECONDS = 5  # clocks of the site's backend and of this server differ a little


def server_secret(settings: Settings) -> bytes | None:
    """QA_TOKEN_SECRET, else (one server on local state) a random secret kept in the index folder;
    None when replicas share a database but no common secret was given: tokens are then off."""
    if settings.token_secret:
        return settings.token_secret.encode("utf-8")
    if settings.database_url:
        return None
    path = Path(settings.index_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process wrote it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def signing_secret(secret: bytes, key_id: str) -> str:
    digest = hmac.new(secret, b"qa-visitor-token:" + key_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def looks_like_token(credential: str) -> bool:
    """A JWT (header.payload.signature, the header a JSON object) rather than an API key."""
    return credential.count(".") == 2 and credential.startswith("eyJ")


class TokenRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def claimed_key_id(token: str) -> str:
    """The key a token names, read before its signature is checked (to find the secret)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenRefused(401, "invalid_token", f"the visitor token cannot be read: {exc}") from exc
    key_id = claims.get("key_id")
    if not isinstance(key_id, str) or not key_id:
        raise TokenRefused(401, "invalid_token", "the visitor token has no 'key_id' claim")
    return key_id


def verify(token: str, secret: bytes, key: Grant) -> Grant:
    """The grant of a visitor token signed for `key`: the key's, narrowed by the token's claims."""
    try:
        claims = jwt.decode(
            token,
            signing_secret(secret, key.key_id or ""),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "key_id"]},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenRefused(401, "token_expired", "the visitor token has expired: ask the site for a new one") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenRefused(401, "invalid_token", "the visitor token's signature does not match its key") from exc
    except jwt.PyJWTError as exc:
        raise TokenRefused(401, "invalid_token", f"the visitor token is not valid: {exc}") from exc
    doc_filter = key.filter
    if claims.get("filter") is not None:
        doc_filter = _narrowed_filter(claims["filter"], key.filter)
    scopes = key.scopes & READ_SCOPES  # a visitor never writes or administers
    if "scopes" in claims:
        asked = claims["scopes"]
        if not isinstance(asked, list) or not set(asked) <= scopes:
            raise TokenRefused(
                403, "token_widened", f"the token's scopes go beyond its key's ({', '.join(sorted(scopes))})"
            )
        scopes = frozenset(asked)
    collections = key.collections
    if "collections" in claims:
        asked = claims["collections"]
        if (
            not isinstance(asked, list)
            or not all(isinstance(c, str) for c in asked)
            or (collections is not None and not set(asked) <= set(collections))
        ):
            raise TokenRefused(403, "token_widened", "the token's collections go beyond its key's")
        collections = tuple(asked)
    return replace(key, kind="visitor", scopes=scopes, collections=collections, filter=doc_filter)


def _narrowed_filter(asked: object, key: dict[str, tuple[str, ...]] | None) -> dict[str, tuple[str, ...]]:
    """The key's filter ANDed with a token's, which may narrow it and never widen it."""
    if not isinstance(asked, dict) or not all(
        isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in asked.values()
    ):
        raise TokenRefused(401, "invalid_token", "the token's 'filter' must be an object {field: [values]}")
    widened = widening_field(asked, key)
    if widened is not None:
        raise TokenRefused(
            403, "token_widened", f"the token's filter on '{widened[:70]}' allows values its key's filter does not"
        )
    # Where both name a field the token's values are a subset of the key's: the AND is the token's.
    return {**(key or {}), **{str(f): tuple(v) for f, v in asked.items()}}
