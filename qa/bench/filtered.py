"""Filtered against unfiltered search, in process: what a document filter costs a query.

The filter keeps about 1 % of the passages when the corpus allows it: the smallest documents
until 1 % is reached, then one language of them if that is still above it. A corpus of a few
long documents cannot be cut that fine, so the bench runs the leg on `one_passage_documents`:
the same passages, one document each (their vectors come from the embedding cache). Both
searches get the same query vector, so the timings compare retrieval and ranking, not encoding.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from qa.bench.stats import latency_summary, ratio
from qa.embed.cache import CACHE_DIR
from qa.index.build import build_index
from qa.search.engine import SearchEngine
from qa.service import Service, open_service
from qa.store.base import PassageStore
from qa.store.filtered import FilteredStore
from qa.store.filters import DocFilter

TARGET_SHARE = 0.01
TOP_K = 5


def one_passage_documents(service: Service, folder: Path) -> Service:
    """A service over every passage of `service` written as a document of its own (corpus and
    index under `folder`); the vectors come from `service`'s embedding cache."""
    settings = service.settings
    corpus_dir, index_dir = folder / "corpus", folder / "index"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    for row in range(service.store.size):
        (corpus_dir / f"passage-{row:06d}.txt").write_text(service.store.passage(row).text + "\n", encoding="utf-8")
    if (settings.index_dir / CACHE_DIR).is_dir():
        shutil.copytree(settings.index_dir / CACHE_DIR, index_dir / CACHE_DIR)
    build_index(corpus_dir, index_dir, service.encoder, settings.batch_size, progress=False)
    split = settings.model_copy(update={"index_dir": index_dir, "corpus_dir": corpus_dir, "auto_build": False})
    return open_service(split, progress=False, encoder=service.encoder)


def pick_filter(store: PassageStore, share: float = TARGET_SHARE) -> tuple[DocFilter, int]:
    """(a filter keeping about `share` of the passages, how many it keeps)."""
    target = max(1, round(share * store.size))
    sizes = sorted((sum(d["passages"].values()), d["doc_id"]) for d in store.documents())
    chosen: list[str] = []
    kept = 0
    by_lang = {"zh": 0, "en": 0}
    for count, doc_id in sizes:
        if chosen and kept + count > target:
            break
        chosen.append(doc_id)
        kept += count
        summary = next(d for d in store.documents() if d["doc_id"] == doc_id)
        for lang in by_lang:
            by_lang[lang] += summary["passages"].get(lang, 0)
    mapping: dict[str, list[str]] = {"doc_id": chosen}
    if kept > 2 * target and by_lang["en"]:
        mapping["lang"] = ["en"]
        kept = by_lang["en"]
    return DocFilter.of(mapping), kept


def run_filtered_leg(service: Service, queries: Sequence[str]) -> dict[str, Any]:
    """p50 of filtered (≈1 % of passages) and unfiltered searches, interleaved, and whether
    every filtered search still filled its top-k."""
    doc_filter, kept = pick_filter(service.store)
    engine = service.engine
    filtered = SearchEngine(FilteredStore(service.store, doc_filter), engine.encoder, engine.calibration)
    view = replace(service, engine=filtered)
    vectors = engine.encode_many(list(queries))
    times: dict[str, list[float]] = {"unfiltered": [], "filtered": []}
    full = True
    for query, vector in zip(queries, vectors):
        for name, searcher in (("unfiltered", engine), ("filtered", view.engine)):
            started = time.perf_counter()
            result = searcher.search(query, TOP_K, qvec=vector)
            times[name].append(time.perf_counter() - started)
            if name == "filtered":
                full &= len(result.hits) == min(TOP_K, kept)
    unfiltered, filtered_summary = latency_summary(times["unfiltered"]), latency_summary(times["filtered"])
    return {
        "passages": service.store.size,
        "kept": kept,
        "kept_share": round(kept / max(service.store.size, 1), 4),
        "filter": {field: sorted(values) for field, values in doc_filter.clauses},
        "full_top_k": full,
        "unfiltered": unfiltered,
        "filtered": filtered_summary,
        "p50_ratio": ratio(filtered_summary["p50_ms"], unfiltered["p50_ms"]),
    }
