"""What the Milvus store keeps between calls (records of a version never change) and the
paging of a filtered listing, apart from the store itself."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class LRU:
    """A small thread-safe least-recently-used map (records of one version never change)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


def page_rows(client: Any, timeout: float, name: str, expr: str, offset: int, limit: int, batch: int) -> list[int]:
    """Rows `offset`..`offset+limit` (by row order) of those of collection `name` matching `expr`.
    The iterator walks primary keys in order, so deep pages work past Milvus' offset cap."""
    rows: list[int] = []
    skipped = 0
    iterator = client.query_iterator(
        name, batch_size=min(batch, max(limit, 1000)), filter=expr, output_fields=["row"], timeout=timeout
    )
    try:
        while len(rows) < limit:
            found = iterator.next()
            if not found:
                break
            ids = sorted(int(item["row"]) for item in found)
            take = ids[max(0, offset - skipped) :]
            skipped += len(ids) - len(take)
            rows.extend(take[: limit - len(rows)])
    finally:
        iterator.close()
    return rows
