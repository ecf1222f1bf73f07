"""Fit and check the content-gaps grouping on twin questions (the same thing asked in zh and en).

Folds are by topic: the threshold is chosen on the other folds' questions (best F1 of "twins
together" and "pairs in a group share a topic"), then the held-out fold's twins are grouped
among all questions, so a held-out twin must find its partner past every distractor.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import click
import numpy as np

from qa.analytics.grouping import GROUPING_FILE, cluster, load_grouping
from qa.embed.model import load_encoder
from qa.settings import get_settings

GRID = tuple(round(0.40 + 0.02 * step, 2) for step in range(26))


@dataclass
class GroupingFit:
    min_similarity: float
    held_out_together: float
    held_out_precision: float
    fold_thresholds: list[float]


def read_twins(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _quality(labels: dict[int, int], topics: list[str], twins: list[int]) -> tuple[float, float]:
    together = sum(labels[2 * k] == labels[2 * k + 1] for k in twins) / max(len(twins), 1)
    pairs = [(i, j) for i, j in itertools.combinations(labels, 2) if labels[i] == labels[j]]
    precision = sum(topics[i] == topics[j] for i, j in pairs) / max(len(pairs), 1)
    return together, precision


def _grouped(vectors: np.ndarray, rows: list[int], threshold: float) -> dict[int, int]:
    return dict(zip(rows, cluster(vectors[rows], threshold)))


def _best(vectors: np.ndarray, topics: list[str], twins: list[int]) -> float:
    rows = [2 * k + side for k in twins for side in (0, 1)]

    def f1(threshold: float) -> float:
        together, precision = _quality(_grouped(vectors, rows, threshold), topics, twins)
        return 2 * together * precision / max(together + precision, 1e-9)

    return max(GRID, key=f1)


def fit_grouping(twins: list[dict], vectors: np.ndarray, folds: int = 5) -> GroupingFit:
    """`vectors` holds each twin's zh then en question, in file order."""
    topics = [twin["topic"] for twin in twins for _ in (0, 1)]
    every = list(range(len(twins)))
    rows = list(range(2 * len(twins)))
    together_sum, precisions, thresholds = 0.0, [], []
    for fold in range(folds):
        held = every[fold::folds]
        threshold = _best(vectors, topics, [k for k in every if k not in held])
        together, precision = _quality(_grouped(vectors, rows, threshold), topics, held)
        together_sum += together * len(held)
        precisions.append(precision)
        thresholds.append(threshold)
    return GroupingFit(
        min_similarity=_best(vectors, topics, every),
        held_out_together=round(together_sum / len(twins), 3),
        held_out_precision=round(float(np.mean(precisions)), 3),
        fold_thresholds=thresholds,
    )


@click.command("fit-grouping")
@click.argument("twins", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@click.option(
    "--write",
    "write_to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Write the fitted grouping here (the shipped one is {GROUPING_FILE.name}).",
)
def fit_grouping_command(twins: Path, folds: int, write_to: Path | None) -> None:
    """Fit the content-gaps threshold on TWINS (JSONL: topic, zh, en), cross-validated by topic."""
    rows = read_twins(twins)
    model = load_grouping().model
    vectors = load_encoder(model, get_settings().threads).encode_queries(
        [row[lang] for row in rows for lang in ("zh", "en")]
    )
    fit = fit_grouping(rows, vectors, folds)
    click.echo(json.dumps(asdict(fit), indent=2))
    if write_to is not None:
        write_to.write_text(
            json.dumps(
                {
                    "model": model,
                    "min_similarity": fit.min_similarity,
                    "fitted_on": twins.name,
                    "folds": folds,
                    "held_out_together": fit.held_out_together,
                    "held_out_precision": fit.held_out_precision,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
