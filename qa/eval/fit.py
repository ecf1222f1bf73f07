"""Fit every tuned constant by cross-validation and report the held-out folds.

The constants are the fusion weights (sentence evidence, keyword), the abstention model
(logistic regression over qa.search.confidence features, plus its threshold) and the answer
sentence weights. For each of K folds they are fitted on the other K−1 folds only and scored on
the held-out fold; the pooled held-out figures are the honest estimate. The shipped
calibration is then fitted the same way on all items.

Queries are encoded and their candidates gathered once; every fit only re-scores them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from qa.answer.sentences import EVIDENCE_PASSAGES
from qa.eval.metrics import Ranked, abstention_summary, first_hit_rank, ranking_summary
from qa.eval.questions import Question
from qa.eval.verify_fit import SupportOutcome, fit_choice, fit_topic, fit_verification, support_outcome, support_summary
from qa.search.calibration import Calibration
from qa.search.candidates import Candidates
from qa.search.confidence import FEATURES, AbstentionModel, features
from qa.search.engine import SearchEngine
from qa.search.fusion import Fusion

MODES = ("any", "same", "cross")
TOP_K = 10
SENTENCE_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
KEYWORD_WEIGHTS = (0.0, 0.02, 0.04, 0.06, 0.1, 0.15)
# Product choice, not a fitted number: the abstention threshold is set so that at most this share
# of answerable questions is refused in every question set (out-of-fold predictions of the
# training folds): refusing a question the documents answer is the failure users feel most.
TARGET_FALSE_REFUSAL = 0.03
INNER_FOLDS = 5


def mode_lang(mode: str, question_lang: str) -> str | None:
    """The `lang` filter of a mode: none, the question's language, or the other one."""
    if mode == "any":
        return None
    if mode == "same":
        return question_lang
    return "en" if question_lang == "zh" else "zh"


@dataclass
class Item:
    """One question with its precomputed evidence, and the engine of its corpus."""

    question: Question
    qvec: np.ndarray
    candidates: Candidates
    engine: SearchEngine
    group: str  # which question set it came from (folds are stratified by it)


def prepare(engine: SearchEngine, questions: Sequence[Question], group: str) -> list[Item]:
    texts = [q.question for q in questions]
    qvecs = engine.encode_many(texts)
    candidates = engine.candidates_many(texts, qvecs)
    return [Item(q, v, c, engine, group) for q, v, c in zip(questions, qvecs, candidates)]


def rank_of(item: Item, fusion: Fusion, mode: str) -> int | None:
    order, _ = fusion.rank(item.candidates, mode_lang(mode, item.question.lang))
    store = item.engine.store
    ranked = [
        Ranked(store.passage(int(item.candidates.rows[i])).text, str(item.candidates.langs[i])) for i in order[:TOP_K]
    ]
    return first_hit_rank(ranked, item.question.gold, TOP_K)


def ranking_score(items: Sequence[Item], fusion: Fusion) -> float:
    """MRR@10 plus hit@1, summed over modes and averaged over question sets (the objective of
    the fusion grid): each corpus counts alike, however many questions it brings."""
    per_set = []
    for group in sorted({i.group for i in items}):
        total = 0.0
        for mode in MODES:
            ranks = [rank_of(i, fusion, mode) for i in items if i.question.answerable and i.group == group]
            summary = ranking_summary(ranks)
            total += summary["mrr@10"] + summary["hit@1"]
        per_set.append(total)
    return float(np.mean(per_set)) if per_set else 0.0


def fit_fusion(items: Sequence[Item], sentence_weights=SENTENCE_WEIGHTS, keyword_weights=KEYWORD_WEIGHTS) -> Fusion:
    best, best_score = Fusion(0.0, 0.0), -1.0
    # Ties keep the simpler model: grids run from 0 upwards and only a strict gain replaces.
    for sw, kw in itertools.product(sentence_weights, keyword_weights):
        fusion = Fusion(sw, kw)
        score = ranking_score(items, fusion)
        if score > best_score + 1e-9:
            best, best_score = fusion, score
    return best


def feature_matrix(items: Sequence[Item], fusion: Fusion) -> np.ndarray:
    rows = [features(i.engine.store, i.candidates, fusion) for i in items]
    return np.array([[r[name] for name in FEATURES] for r in rows], dtype=np.float64)


def _logistic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and bias on raw features (standardised inside for a well-posed fit)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    # Unweighted, so `confidence` stays a calibrated probability (reported as a reliability table);
    # the asymmetric cost of refusing is handled by the threshold instead.
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit((x - mean) / scale, y)
    weights = model.coef_[0] / scale
    return weights, float(model.intercept_[0] - np.sum(weights * mean))


def _probabilities(x: np.ndarray, weights: np.ndarray, bias: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x @ weights + bias, -50, 50)))


def _threshold(p_answerable: np.ndarray) -> float:
    """Largest threshold refusing at most TARGET_FALSE_REFUSAL of these answerable items."""
    if not len(p_answerable):
        return 1.0
    allowed = int(np.floor(TARGET_FALSE_REFUSAL * len(p_answerable)))
    return float(np.sort(p_answerable)[allowed])


def fit_abstention(items: Sequence[Item], fusion: Fusion, seed: int = 0) -> AbstentionModel:
    # Search's `confident` separates answerable questions from off-topic ones; near misses are
    # on topic by design and are the support model's to judge, so they stay out of this fit.
    items = [i for i in items if i.question.kind != "near_miss"]
    x = feature_matrix(items, fusion)
    y = np.array([i.question.answerable for i in items], dtype=int)
    if len(set(y)) < 2:  # nothing to separate: never refuse
        return AbstentionModel(dict.fromkeys(FEATURES, 0.0), 10.0, 0.5)
    weights, bias = _logistic(x, y)
    # The threshold comes from out-of-fold probabilities of an inner split, not in-sample ones.
    oof = np.zeros(len(items))
    for inner in stratified_folds(items, INNER_FOLDS, seed + 1):
        train = np.setdiff1d(np.arange(len(items)), inner)
        if len(set(y[train])) < 2:
            oof[inner] = _probabilities(x[inner], weights, bias)
            continue
        w, b = _logistic(x[train], y[train])
        oof[inner] = _probabilities(x[inner], w, b)
    groups = np.array([i.group for i in items])
    threshold = min([0.5] + [_threshold(oof[(y == 1) & (groups == g)]) for g in set(groups)])
    return AbstentionModel(
        {n: round(float(w), 6) for n, w in zip(FEATURES, weights)}, round(bias, 6), round(threshold, 6)
    )


def answer_hits(item: Item, fusion: Fusion):
    engine = item.engine
    ranked = SearchEngine(engine.store, engine.encoder, replace(engine.calibration, fusion=fusion))
    return ranked.rank(item.question.question, item.candidates, EVIDENCE_PASSAGES, item.question.lang).hits


def fit_calibration(items: Sequence[Item], seed: int = 0, followup: dict | None = None) -> Calibration:
    fusion = fit_fusion(items)
    choice = fit_choice(items, fusion, answer_hits)
    inner = partial(stratified_folds, seed=seed + 2)
    verification = fit_verification(items, fusion, answer_hits, choice, inner)
    topic = fit_topic(items, fusion, answer_hits, choice, inner)
    calibration = Calibration(fusion, fit_abstention(items, fusion, seed), choice, verification, topic)
    return replace(calibration, followup=followup) if followup else calibration


def stratified_folds(items: Sequence[Item], k: int, seed: int = 0) -> list[np.ndarray]:
    """K disjoint index arrays, each with a fair share of every (set, kind) stratum."""
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    strata: dict[tuple[str, str], list[int]] = {}
    for index, item in enumerate(items):
        strata.setdefault((item.group, item.question.kind or ""), []).append(index)
    offset = 0
    for key in sorted(strata):
        members = strata[key]
        rng.shuffle(members)
        for j, index in enumerate(members):
            folds[(j + offset) % k].append(index)
        offset += len(members)
    return [np.array(sorted(f), dtype=np.int64) for f in folds]


@dataclass
class Outcome:
    """Held-out predictions of one item."""

    ranks: dict[str, int | None]
    refused: bool
    confidence: float
    answered_right: bool
    baseline_ranks: dict[str, dict[str, int | None]]
    support: SupportOutcome


def predict(item: Item, calibration: Calibration, baselines: dict[str, Fusion]) -> Outcome:
    fusion = calibration.fusion
    x = features(item.engine.store, item.candidates, fusion)
    confidence = calibration.abstention.confidence(x)
    refused = confidence < calibration.abstention.threshold
    support = support_outcome(item, calibration, answer_hits)
    ranks = {m: rank_of(item, fusion, m) for m in MODES} if item.question.answerable else {}
    base = {
        name: ({m: rank_of(item, f, m) for m in MODES} if item.question.answerable else {})
        for name, f in baselines.items()
    }
    return Outcome(ranks, refused, confidence, support.quote_holds_answer, base, support)


def summarise(items: Sequence[Item], outcomes: Sequence[Outcome]) -> dict:
    answerable = [o for i, o in zip(items, outcomes) if i.question.answerable]
    flagged = [o.refused for o in outcomes]
    unanswerable = [not i.question.answerable for i in items]
    rows = {"shipped": {m: ranking_summary([o.ranks[m] for o in answerable]) for m in MODES}}
    for name in answerable[0].baseline_ranks if answerable else {}:
        rows[name] = {m: ranking_summary([o.baseline_ranks[name][m] for o in answerable]) for m in MODES}
    by_lang = {}
    for lang in ("zh", "en"):
        subset = [o for i, o in zip(items, outcomes) if i.question.answerable and i.question.lang == lang]
        by_lang[lang] = round(sum(o.answered_right for o in subset) / len(subset), 4) if subset else None
    return {
        "items": len(items),
        "ranking": rows,
        "abstention": abstention_summary(flagged, unanswerable),
        "answers": {
            "contains_answer": round(sum(o.answered_right for o in answerable) / max(len(answerable), 1), 4),
            "by_lang": by_lang,
        },
        "reliability": reliability(outcomes, [i.question.answerable for i in items]),
        "support": support_summary([o.support for o in outcomes]),
    }


def reliability(outcomes: Sequence[Outcome], answerable: Sequence[bool], bins: int = 5) -> list[dict]:
    """Predicted confidence against the observed share of answerable questions, per bin."""
    table = []
    edges = np.linspace(0, 1, bins + 1)
    conf = np.array([o.confidence for o in outcomes])
    truth = np.array(answerable, dtype=float)
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (conf >= lo) & ((conf < hi) | (hi == 1.0))
        if inside.any():
            table.append(
                {
                    "bin": f"{lo:.1f}–{hi:.1f}",
                    "n": int(inside.sum()),
                    "mean_confidence": round(float(conf[inside].mean()), 3),
                    "observed_answerable": round(float(truth[inside].mean()), 3),
                }
            )
    return table


def cross_validate(items: Sequence[Item], k: int = 5, seed: int = 0) -> dict:
    """Fit on K−1 folds, predict the held-out one; pooled held-out figures and each fold's fit."""
    outcomes: list[Outcome | None] = [None] * len(items)
    fits = []
    for fold in stratified_folds(items, k, seed):
        train = [items[j] for j in range(len(items)) if j not in set(fold.tolist())]
        calibration = fit_calibration(train, seed)
        sentence_only = fit_fusion(train, keyword_weights=(0.0,))
        baselines = {"dense": Fusion(0.0, 0.0), "dense+sentence": sentence_only}
        for j in fold:
            outcomes[j] = predict(items[j], calibration, baselines)
        fits.append(calibration.to_json() | {"dense+sentence": sentence_only.sentence_weight})
    report = summarise(items, outcomes)
    report["folds"] = k
    report["fits"] = fits
    report["by_set"] = {
        g: summarise([i for i in items if i.group == g], [o for i, o in zip(items, outcomes) if i.group == g])
        for g in sorted({i.group for i in items})
    }
    return report
