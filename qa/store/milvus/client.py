"""Connection to Milvus shared by the reader and the writer: names, timeouts, error mapping.

Every call carries a timeout (an int: pymilvus only bounds its retry loop by an int timeout,
otherwise it retries an unreachable server for minutes), and every pymilvus/gRPC failure becomes
a `StoreError` naming the uri, so callers never see a driver exception or hang.
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from collections.abc import Callable
from typing import TypeVar

import grpc
from pymilvus import MilvusClient
from pymilvus.exceptions import MilvusException

from qa.settings import Settings
from qa.store.base import StoreError, StoreMissing, StoreUnavailable

T = TypeVar("T")

# pymilvus logs every failed RPC with a traceback at ERROR; the store reports failures itself
# (as StoreUnavailable → 503), so an outage must not flood the service log.
logging.getLogger("pymilvus").setLevel(logging.CRITICAL)

META_SUFFIX = "_meta"
SENTENCES_SUFFIX = "_sentences"
VOCAB_SUFFIX = "_vocab"
POINTER_KEY = "CURRENT"  # the meta row naming the live version (counterpart of index/CURRENT)


def passages_name(collection: str, version: str) -> str:
    return f"{collection}_{version}"


def collection_set(collection: str, version: str) -> list[str]:
    """All collections one index version consists of."""
    base = passages_name(collection, version)
    return [base, base + SENTENCES_SUFFIX, base + VOCAB_SUFFIX]


def _not_found(exc: Exception) -> bool:
    text = str(exc).lower()
    return getattr(exc, "code", None) == 100 or "collection not found" in text or "can't find collection" in text


def _rejected(exc: Exception) -> bool:
    code = getattr(exc, "code", None)
    return isinstance(code, int) and 1000 <= code < 2000  # Milvus' input error codes (1100: invalid parameter)


class MilvusConnection:
    """A MilvusClient that is rebuilt after a failure, so the store recovers by itself when the
    server comes back (no restart of `qa serve`)."""

    def __init__(
        self, uri: str, token: str = "", timeout: float = Settings.model_fields["milvus_timeout_seconds"].default
    ) -> None:
        self.uri = uri
        self.token = token
        self.timeout = max(1, math.ceil(timeout))
        self._client: MilvusClient | None = None
        self._lock = threading.Lock()

    def client(self) -> MilvusClient:
        with self._lock:
            if self._client is None:
                try:
                    # A private connection alias: pymilvus otherwise shares one channel per uri
                    # across clients, and a broken one would outlive our reconnect.
                    self._client = MilvusClient(
                        uri=self.uri, token=self.token, timeout=self.timeout, alias=f"qa-{uuid.uuid4().hex}"
                    )
                except Exception as exc:
                    raise StoreUnavailable(f"Milvus at {self.uri} is unreachable ({_short(exc)})") from exc
            return self._client

    def reset(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # closing a dead channel may fail; it is dropped either way
                pass

    def call(self, what: str, fn: Callable[[MilvusClient, int], T]) -> T:
        """Run `fn(client, timeout)`; map failures to StoreError and drop a broken client."""
        client = self.client()
        try:
            return fn(client, self.timeout)
        except StoreError:
            raise
        except (MilvusException, grpc.RpcError) as exc:
            if _not_found(exc):
                raise StoreMissing(f"Milvus at {self.uri}: {what}: {_short(exc)}: run `qa build`") from exc
            if _rejected(exc):  # the server answered "no": retrying will not help
                raise StoreError(f"Milvus at {self.uri} refused {what} ({_short(exc)})") from exc
            self.reset()
            raise StoreUnavailable(f"Milvus at {self.uri} failed on {what} ({_short(exc)})") from exc

    def close(self) -> None:
        self.reset()


def _short(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return " ".join(str(text).split())[:300]
