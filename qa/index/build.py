"""The build pipeline: corpus → passages, sentences, tokens, vectors → a new index version.

`prepare_index_data` turns the corpus into backend-neutral `IndexData` (every distinct text
embedded once, unchanged text reused from the embedding cache); `build_index` writes it to the
configured store (a local FAISS folder by default) and switches to it atomically.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from qa.corpus.align import alignment_margins, flag_uncertain, unlinked_passages
from qa.corpus.models import Document, Passage
from qa.corpus.parsed import PARSED_DIR, ParsedFiles
from qa.corpus.readers import Limits
from qa.corpus.store import corpus_checksum, load_documents
from qa.embed.cache import Checkpoints, EmbeddingCache, encode_texts, encode_with_cache, text_key
from qa.embed.model import Encoder
from qa.store.format import FORMAT_VERSION, component_versions
from qa.store.local.write import build_lock, write_local_version
from qa.store.base import IndexData
from qa.text import sentence_spans, tokenize
from qa.text.script import fold_traditional
from qa.text.terms import read_terms

log = logging.getLogger(__name__)

# Margin (see qa.corpus.align.alignment_margins) below which a unit is reported: a right pair
# is closer to its partner than to any rival paragraph of the document. The margin is relative,
# so it carries over between kinds of text; the raw similarity is only used where no margin can
# be computed (a one-unit document), since right pairs of encyclopaedia text score 0.77–0.80.
LOW_ALIGNMENT_MARGIN = -0.10
LOW_ALIGNMENT_SIMILARITY = 0.70


def score_alignments(documents: list[Document], row_of: dict[str, int], vectors: np.ndarray) -> dict:
    """Fill each alignment's embedding similarity, flag doubtful links uncertain, and summarise how
    trustworthy they look (doubtful units and paragraphs left without a translation)."""
    sims = []
    low = []
    unlinked = []
    for doc in documents:
        unlinked += unlinked_passages(doc)
        for alignment, margin in zip(doc.alignments, alignment_margins(doc, row_of, vectors)):
            alignment.margin = margin
            zh = vectors[[row_of[i] for i in alignment.zh]].mean(axis=0)
            en = vectors[[row_of[i] for i in alignment.en]].mean(axis=0)
            sim = float(zh @ en / (np.linalg.norm(zh) * np.linalg.norm(en) + 1e-12))
            alignment.similarity = round(sim, 4)
            sims.append(sim)
            misfit = margin < LOW_ALIGNMENT_MARGIN if margin is not None else sim < LOW_ALIGNMENT_SIMILARITY
            # Lengths are a weak sign: they count against a unit only when meaning does not vouch for it.
            misfit_length = alignment.length_score < 0.5 and (margin is None or margin < 0)
            if misfit or misfit_length:
                low.append(alignment.model_dump())
                flag_uncertain(doc, alignment)
    return {
        "aligned_units": len(sims),
        "min_similarity": round(min(sims), 4) if sims else None,
        "mean_similarity": round(float(np.mean(sims)), 4) if sims else None,
        "low_confidence": low,
        "unlinked": unlinked,
    }


def sentence_table(passages: list[Passage]) -> tuple[np.ndarray, list[str]]:
    """(rows of [passage row, start, end], sentence texts), in passage order."""
    table, texts = [], []
    for row, passage in enumerate(passages):
        for start, end in sentence_spans(passage.text, passage.lang):
            table.append((row, start, end))
            texts.append(passage.text[start:end])
    return np.asarray(table, dtype=np.int32).reshape(-1, 3), texts


def new_version_name() -> tuple[str, datetime]:
    stamp = datetime.now(timezone.utc)
    return f"v{stamp:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}", stamp


class AlignmentEmbedder:
    """The `embed` the corpus layer aligns two editions with: each paragraph is embedded once,
    from the embedding cache when it can, and its vector is reused for the index below."""

    def __init__(self, encoder: Encoder, cache_dir: Path, batch_size: int) -> None:
        self.encoder, self.batch_size = encoder, batch_size
        self.cache = EmbeddingCache(cache_dir, encoder.model_id, encoder.dimension)
        self.cached = self.cache.load()
        self.fresh: dict[bytes, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        texts = [fold_traditional(t) for t in texts]  # what the model reads (qa.text.script)
        keys = [text_key(self.encoder.model_id, t) for t in texts]
        todo = {k: t for k, t in zip(keys, texts) if k not in self.cached and k not in self.fresh}
        if todo:
            # Checkpointed like the index texts: a crash while aligning keeps what was embedded.
            vectors = encode_texts(
                self.encoder, list(todo.values()), self.batch_size, on_batch=Checkpoints(self.cache, list(todo))
            )
            self.fresh.update(zip(todo, vectors))
        known = [self.fresh.get(k) if k in self.fresh else self.cached[k] for k in keys]
        return np.stack(known) if known else np.zeros((0, self.encoder.dimension), np.float32)


def prepare_index_data(corpus_dir: Path, encoder: Encoder, cache_dir: Path, batch_size: int = 32,
                       progress: bool = True, allow_empty: bool = False, limits: Limits = Limits(),
                       on_reused: Callable[[int], None] | None = None) -> IndexData:
    """Parse, split, tokenise and embed the corpus; nothing is written but the caches (embeddings,
    and files read in a child process within `limits`: qa.corpus.parsed). `on_reused(n)` hears
    how many texts were taken from the embedding cache."""
    started = time.perf_counter()
    checksum = corpus_checksum(corpus_dir)
    terms = read_terms(corpus_dir)  # recorded in the manifest: questions are cut the same way
    embedder = AlignmentEmbedder(encoder, cache_dir, batch_size)
    reader = ParsedFiles(cache_dir / PARSED_DIR)
    documents = load_documents(corpus_dir, embed=embedder, limits=limits, allow_empty=allow_empty, reader=reader)
    reader.prune()
    passages = [p for doc in documents for p in doc.passages]
    # Sentence vectors let ranking and /v1/ask weigh the best sentence without encoding at query time.
    spans, sentence_texts = sentence_table(passages)
    # The model reads Traditional text in its folded form (the stored text stays as written).
    texts = [fold_traditional(t) for t in [p.text for p in passages] + sentence_texts]
    log.info("embedding %d passages and %d sentences from %d document(s)",
             len(passages), len(sentence_texts), len(documents))
    all_vectors = encode_with_cache(encoder, texts, cache_dir, batch_size, progress, embedder.fresh, on_reused)
    vectors, sentence_vectors = all_vectors[: len(passages)], all_vectors[len(passages):]
    row_of = {p.passage_id: i for i, p in enumerate(passages)}
    alignment = score_alignments(documents, row_of, vectors)
    name, stamp = new_version_name()
    manifest = {
        "format_version": FORMAT_VERSION,
        "versions": component_versions(),
        "version": name,
        "model_id": encoder.model_id,
        "dimension": encoder.dimension,
        "corpus_checksum": checksum,
        "passage_count": len(passages),
        "passages_by_lang": {lang: sum(p.lang == lang for p in passages) for lang in ("zh", "en")},
        "documents": [d.doc_id for d in documents],
        "built_at": stamp.isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 2),
        "alignment": alignment,
        "terms": terms.summary(),
    }
    return IndexData(passages=passages, documents=documents,
                     vectors=np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, encoder.dimension),
                     sentence_spans=spans,
                     sentence_vectors=np.ascontiguousarray(sentence_vectors, dtype=np.float32)
                     .reshape(-1, encoder.dimension),
                     keyword_tokens=[tokenize(p.text, terms) for p in passages], manifest=manifest)


def build_index(corpus_dir: Path, index_dir: Path, encoder: Encoder, batch_size: int = 32,
                progress: bool = True) -> Path:
    """Build a new local version and make it live; returns its folder."""
    with build_lock(index_dir):
        data = prepare_index_data(corpus_dir, encoder, index_dir, batch_size, progress)
        return write_local_version(index_dir, data)
