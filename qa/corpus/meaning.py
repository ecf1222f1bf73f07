"""Align two language editions of one document by meaning: an embedding DP with a length term.

The paragraphs of each edition are embedded once (the same vectors the index needs); a window of
2 paragraphs is the mean of its paragraphs' vectors, which scored as well as embedding the
joined text. Each language's mean vector over the document is removed first: every paragraph of
one document shares its topic, and what is left is what makes a paragraph itself, so a right
pair stands out from its neighbours (see qa.corpus.align.alignment_margins).

The DP (Gale–Church / vecalign shape) picks beads 1:1, 1:2, 2:1, 2:2, 1:0 and 0:1 minimising
  (1 − cosine) + LENGTH_WEIGHT × (1 − length fit) + the bead's own penalty,
and a skipped paragraph costs SKIP_COST. Every bead keeps its cosine, so weak ones show up.
Two editions of the same length pair paragraph for paragraph unless the text says otherwise:
every bead but 1:1 then costs EQUAL_COUNT_PENALTY more, so only a clear gain in meaning (a merge in one
edition and a split in the other) leaves the diagonal, never a run of look-alike short lines.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.corpus.align import length_score

Embed = Callable[[list[str]], np.ndarray]

LENGTH_WEIGHT = 0.3
SKIP_COST = 0.45
# Extra cost of a bead beyond 1:1: merges and splits are rarer than one-to-one translations.
BEAD_PENALTY = {(1, 1): 0.0, (1, 2): 0.1, (2, 1): 0.1, (2, 2): 0.3}
# Added to every bead but 1:1 when both runs have the same number of paragraphs. Without it,
# runs of short lines of dialogue ("好。" / "All right.") slip into 2:2 beads and skips. Chosen
# as the middle of the range that pairs equal-length stories exactly and still finds a merge
# and a split that offset each other (tests/test_editions.py runs both kinds).
EQUAL_COUNT_PENALTY = 0.3


@dataclass
class MeaningBead:
    zh: list[int]
    en: list[int]
    similarity: float  # cosine of the raw (uncentred) window vectors; 0 for 1:0 / 0:1
    length_score: float


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / (np.linalg.norm(matrix, axis=-1, keepdims=True) + 1e-12)


def centre(vectors: np.ndarray) -> np.ndarray:
    """Remove the document's mean direction (needs ≥ 2 rows to mean anything)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) < 2:
        return _unit_rows(vectors)
    return _unit_rows(vectors - vectors.mean(axis=0))


def _windows(vectors: np.ndarray, size: int) -> np.ndarray:
    """Row i = normalised mean of rows i..i+size-1 (rows past the end repeat the last one)."""
    if size == 1:
        return vectors
    shifted = [vectors[np.minimum(np.arange(len(vectors)) + k, len(vectors) - 1)] for k in range(size)]
    return _unit_rows(np.mean(shifted, axis=0))


def align_by_meaning(
    zh_texts: Sequence[str],
    en_texts: Sequence[str],
    zh_vectors: np.ndarray,
    en_vectors: np.ndarray,
    ratio: float,
    zh_centred: np.ndarray | None = None,
    en_centred: np.ndarray | None = None,
    equal_editions: bool = True,
) -> list[MeaningBead]:
    """Beads over one run of zh paragraphs and one run of en paragraphs (a section of each).

    `*_centred` are the same rows centred over the whole document (computed here when absent).
    `equal_editions`: the two whole editions have as many paragraphs each; only then does a run
    of equal length stay one to one (a section can balance a merge with a split by chance).
    """
    m, n = len(zh_texts), len(en_texts)
    zc = centre(zh_vectors) if zh_centred is None else zh_centred
    ec = centre(en_vectors) if en_centred is None else en_centred
    if m == 0 or n == 0:
        return [MeaningBead([i], [], 0.0, 0.0) for i in range(m)] + [MeaningBead([], [j], 0.0, 0.0) for j in range(n)]
    sims = {(a, b): _windows(zc, a) @ _windows(ec, b).T for a, b in BEAD_PENALTY}
    if m == n and _diagonal_is_mutual_best(sims[(1, 1)]):
        return [_bead(zh_texts, en_texts, zh_vectors, en_vectors, [i], [i], ratio) for i in range(m)]
    extra = EQUAL_COUNT_PENALTY if m == n and equal_editions else 0.0
    inf = math.inf
    cost = np.full((m + 1, n + 1), inf)
    back = np.zeros((m + 1, n + 1, 2), dtype=np.int32)
    cost[0, 0] = 0.0
    for i in range(m + 1):
        for j in range(n + 1):
            here = cost[i, j]
            if here == inf:
                continue
            for (di, dj), penalty in BEAD_PENALTY.items():
                a, b = i + di, j + dj
                if a > m or b > n:
                    continue
                fit = length_score(zh_texts[i:a], en_texts[j:b], ratio)
                # Weighted by the paragraphs it covers, so one 2:2 bead is not cheaper than two 1:1 beads.
                size = (di + dj) / 2
                c = here + size * ((1.0 - float(sims[(di, dj)][i, j])) + LENGTH_WEIGHT * (1.0 - fit)) + penalty
                if (di, dj) != (1, 1) and extra:
                    # Two whole editions of one length: a 2:2 bead only hides two 1:1 pairs.
                    c += inf if (di, dj) == (2, 2) else extra
                if c < cost[a, b]:
                    cost[a, b] = c
                    back[a, b] = (di, dj)
            for di, dj in ((1, 0), (0, 1)):
                a, b = i + di, j + dj
                if a <= m and b <= n and here + SKIP_COST + extra < cost[a, b]:
                    cost[a, b] = here + SKIP_COST + extra
                    back[a, b] = (di, dj)
    beads: list[MeaningBead] = []
    a, b = m, n
    while (a, b) != (0, 0):
        di, dj = (int(x) for x in back[a, b])
        i, j = a - di, b - dj
        beads.append(_bead(zh_texts, en_texts, zh_vectors, en_vectors, list(range(i, a)), list(range(j, b)), ratio))
        a, b = i, j
    return beads[::-1]


def _diagonal_is_mutual_best(sim: np.ndarray) -> bool:
    """Paragraph i of each edition is the other's best match, for every i: pair them in order."""
    diagonal = np.arange(len(sim))
    return bool((sim.argmax(axis=1) == diagonal).all() and (sim.argmax(axis=0) == diagonal).all())


def _bead(zh_texts, en_texts, zh_vectors, en_vectors, zh: list[int], en: list[int], ratio: float) -> MeaningBead:
    if not zh or not en:
        return MeaningBead(zh, en, 0.0, 0.0)
    z = _unit_rows(np.mean(zh_vectors[zh], axis=0))
    e = _unit_rows(np.mean(en_vectors[en], axis=0))
    return MeaningBead(
        zh,
        en,
        round(float(z @ e), 4),
        round(length_score([zh_texts[i] for i in zh], [en_texts[j] for j in en], ratio), 4),
    )
