"""Why are answerable questions called `related`? Held-out support outcomes, item by item.

Runs the same 5-fold split as `qa eval --folds 5`, fits choice, verification and topic on the
training folds (the fusion is fitted per fold too, unless --fixed-fusion reuses the shipped one,
which is quicker for trying features), and prints per fold and pooled the support table — pooled
also at a fixed share of near misses stated, to compare variants without the fitted threshold's
fold-to-fold noise — then for
every answerable question not stated: whether a candidate held the answer, whether the chosen one
did, P(stated) against the threshold and the verification features that differ most from those
of the stated answerable questions. Writes the rows as JSON lines (under test-artifacts/).

    python scripts/support_diagnose.py [--fixed-fusion] [--out test-artifacts/support.jsonl]
"""

from __future__ import annotations

import argparse
import json
from functools import partial
from pathlib import Path

import numpy as np

from qa.answer.extract import decide, support_of
from qa.answer.question import read_question
from qa.eval import fit
from qa.eval.questions import load_questions
from qa.eval.session import _services
from qa.eval.verify_fit import evidence, fit_choice, fit_topic, fit_verification, passage_holds_gold
from qa.search.calibration import Calibration

FILES = [Path(f"tests/data/{n}.jsonl") for n in ("dev", "dev2", "nearmiss")]
EXTRA = [
    (Path("tests/data/encyclopedia"), Path("tests/data/encyclopedia/questions.jsonl")),
    (Path("tests/data/encyclopedia"), Path("tests/data/nearmiss-encyclopedia.jsonl")),
]
LEVELS = ("stated", "related", "none")


def table(rows: list[dict]) -> str:
    lines = []
    for kind in ("answerable", "near_miss", "off_topic"):
        mine = [r for r in rows if r["kind"] == kind]
        if mine:
            counts = [sum(r["support"] == lv for r in mine) for lv in LEVELS]
            lines.append(
                f"  {kind:11s} n={len(mine):3d} "
                + " ".join(f"{lv}={c:3d} ({c / len(mine):5.1%})" for lv, c in zip(LEVELS, counts))
            )
    answerable = [r for r in rows if r["kind"] == "answerable"]
    if answerable:
        good = sum(r["stated_gold"] for r in answerable) / len(answerable)
        quote = {lang: np.mean([r["quote_holds"] for r in answerable if r["lang"] == lang]) for lang in ("zh", "en")}
        lines.append(f"  stated from gold passage {good:.1%}; quote holds zh {quote['zh']:.1%} en {quote['en']:.1%}")
    return "\n".join(lines)


def at_near_miss_share(rows: list[dict], shares: tuple[float, ...] = (0.15, 0.2)) -> str:
    """Stated from the gold passage when one pooled threshold states exactly this share of the
    near misses: compares two variants along the trade-off, free of the fitted threshold's noise."""
    near = sorted((r["p_stated"] for r in rows if r["kind"] == "near_miss"), reverse=True)
    answerable = [r for r in rows if r["kind"] == "answerable"]
    if not near or not answerable:
        return ""
    parts = []
    for share in shares:
        cut = near[min(int(share * len(near)), len(near) - 1)]
        good = sum(r["gold_passage"] and r["support"] != "none" and r["p_stated"] > cut for r in answerable)
        parts.append(f"{share:.0%} of near misses stated: {good / len(answerable):.1%}")
    return "  stated from gold passage at " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixed-fusion", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("test-artifacts/support.jsonl"))
    args = parser.parse_args()
    items = []
    services = _services(FILES, EXTRA)
    for service, path, name in services:
        items += fit.prepare(service.engine, load_questions(path), name)
    shipped = services[0][0].engine.calibration.fusion
    rows: list[dict] = []
    for number, fold in enumerate(fit.stratified_folds(items, 5, 0)):
        held = set(fold.tolist())
        train = [items[j] for j in range(len(items)) if j not in held]
        fusion = shipped if args.fixed_fusion else fit.fit_fusion(train)
        choice = fit_choice(train, fusion, fit.answer_hits)
        inner = partial(fit.stratified_folds, seed=2)
        calibration = Calibration(
            fusion,
            choice=choice,
            verification=fit_verification(train, fusion, fit.answer_hits, choice, inner),
            topic=fit_topic(train, fusion, fit.answer_hits, choice, inner),
        )
        fold_rows = []
        for j in fold:
            item = items[j]
            q = item.question
            ev = evidence(item, fusion, fit.answer_hits)
            verdict = decide(calibration, read_question(q.question, q.lang), ev.candidates, ev.search_features)
            support = support_of(verdict, calibration)
            answers = q.answer_strings(q.lang) if q.answerable else []
            quote = verdict.chosen.text if verdict.chosen else ""
            fold_rows.append(
                {
                    "fold": number,
                    "set": item.group,
                    "id": q.id,
                    "kind": q.kind,
                    "lang": q.lang,
                    "question": q.question,
                    "support": support,
                    "p_stated": round(verdict.stated, 3),
                    "threshold": calibration.verification.threshold,
                    "stated_gold": support == "stated" and passage_holds_gold(item, verdict),
                    "gold_passage": passage_holds_gold(item, verdict),
                    "any_candidate_holds": any(ev.holds_answer),
                    "quote_holds": bool(answers) and any(a in quote for a in answers),
                    "quote": quote[:160],
                    "features": {k: round(v, 3) for k, v in verdict.features.items()},
                }
            )
        print(f"fold {number}:\n{table(fold_rows)}")
        rows += fold_rows
    print(f"pooled:\n{table(rows)}\n{at_near_miss_share(rows)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    missed = [r for r in rows if r["kind"] == "answerable" and r["support"] != "stated"]
    print(f"\n{len(missed)} answerable not stated:")
    print(f"  no candidate holds the answer: {sum(not r['any_candidate_holds'] for r in missed)}")
    print(f"  chosen is not the answer:      {sum(r['any_candidate_holds'] and not r['quote_holds'] for r in missed)}")
    print(f"  chosen holds it, not verified: {sum(r['quote_holds'] for r in missed)}")
    stated = [r for r in rows if r["kind"] == "answerable" and r["support"] == "stated"]
    near = [r for r in rows if r["kind"] == "near_miss"]
    print("\nfeature means: answerable stated / answerable not stated (chosen right) / near miss")
    right = [r for r in missed if r["quote_holds"]]
    for name in rows[0]["features"]:
        means = [np.mean([r["features"].get(name, 0.0) for r in group] or [0.0]) for group in (stated, right, near)]
        print(f"  {name:26s} " + " ".join(f"{m:8.3f}" for m in means))


if __name__ == "__main__":
    main()
