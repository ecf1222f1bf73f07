"""Build throughput: the build's encoding path against the bare encoder on the same texts.

The bare floor is one encoder call with every text (the packaged engine packs them into its
own token-budget passes, no padding). The build path is `encode_with_cache` into an empty
cache folder: length-sorted batches, each distinct text once, the cache written. Both run
twice, interleaved, and the better of each is kept, so a burst of machine noise does not
decide the ratio.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from qa.corpus.store import load_documents
from qa.embed.cache import encode_with_cache
from qa.index.build import sentence_table


def build_texts(corpus_dir: Path) -> list[str]:
    """What a build embeds: every passage, then every sentence of them."""
    passages = [p for doc in load_documents(corpus_dir) for p in doc.passages]
    return [p.text for p in passages] + sentence_table(passages)[1]


def run_build_throughput(encoder, texts: list[str], batch_size: int = 32, rounds: int = 2) -> dict:
    bare_s: list[float] = []
    build_s: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        encoder.encode_documents(texts, batch_size=max(len(texts), 1))
        bare_s.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory(prefix="qa-bench-cache-") as tmp:
            started = time.perf_counter()
            encode_with_cache(encoder, texts, Path(tmp), batch_size)
            build_s.append(time.perf_counter() - started)
    bare, build = min(bare_s), min(build_s)
    return {
        "texts": len(texts),
        "distinct_texts": len(set(texts)),
        "characters": sum(map(len, texts)),
        "bare_s": round(bare, 3),
        "build_s": round(build, 3),
        "bare_texts_per_s": round(len(texts) / bare, 1),
        "build_texts_per_s": round(len(texts) / build, 1),
        "build_over_bare_throughput": round(bare / build, 3),
    }
