"""Answer ids a client can send feedback on, and visitors named without naming anyone.

An answer id is signed (HMAC with a secret every replica shares through the state store) and
carries its time, so feedback on an unknown, forged or expired id is refused without a database
read, and an answer whose asker opted out of the log can still be rated. A visitor is a keyed
hash of the client (API key fingerprint, or the address behind a widget key) and the UTC day:
the same visitor on two days cannot be linked, and the raw address or key is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

ANSWER_ID_PREFIX = "ans_"
_SIGNATURE_CHARS = 20


@dataclass(frozen=True)
class Signer:
    secret: str

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        return mac[:_SIGNATURE_CHARS]

    def new_answer_id(self, now: float | None = None) -> str:
        stamp = format(int(now if now is not None else time.time()), "x")
        payload = f"{stamp}_{secrets.token_hex(8)}"
        return f"{ANSWER_ID_PREFIX}{payload}_{self._sign(payload)}"

    def answer_time(self, answer_id: str) -> float | None:
        """When the answer was given, or None when the id is not one this service signed."""
        if not answer_id.startswith(ANSWER_ID_PREFIX):
            return None
        payload, _, signature = answer_id[len(ANSWER_ID_PREFIX) :].rpartition("_")
        stamp, _, nonce = payload.partition("_")
        if not (stamp and nonce) or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            return float(int(stamp, 16))
        except ValueError:
            return None

    def session_token(self, seconds: float, now: float | None = None) -> str:
        """A short-lived admin session (the /admin page's cookie), valid for `seconds`."""
        expires = format(int((now if now is not None else time.time()) + seconds), "x")
        return f"{expires}.{self._sign(f'admin-session:{expires}')}"

    def session_valid(self, token: str | None) -> bool:
        expires, _, signature = (token or "").partition(".")
        if not expires or not hmac.compare_digest(signature, self._sign(f"admin-session:{expires}")):
            return False
        try:
            return int(expires, 16) > time.time()
        except ValueError:
            return False

    def visitor(self, client: str, when: datetime | None = None) -> str:
        day = (when or datetime.now(UTC)).strftime("%Y-%m-%d")
        return self._sign(f"visitor:{day}:{client}")
