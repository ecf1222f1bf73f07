"""Does the script a question (or a document) is written in change the answers?

Writes the Chinese questions of the dev files converted to Traditional with OpenCC (s2twp) into
tests/data/<name>.zh-Hant.jsonl (committed, so `qa eval tests/data/dev.zh-Hant.jsonl` runs them)
and their Simplified originals into test-artifacts/, then scores, in process:
- forward: Simplified vs Traditional questions on the corpus as it is (Simplified);
- reverse: the same Simplified questions on a Traditional copy of the corpus (every document
  converted, gold snippets converted with it) vs on the original corpus.

    python scripts/eval_scripts.py [--write-only] [--skip-reverse]

Prints hit@1 / MRR@10 per mode and the refusals of /v1/ask; writes test-artifacts/script-eval.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from qa.eval.cli import DEFAULT_FILES
from qa.eval.questions import load_questions
from qa.eval.session import run_sets
from qa.fsutil import atomic_write_json
from qa.settings import PROJECT_ROOT, get_settings
from qa.text.script import to_traditional

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "script-eval"


def _write(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _traditional_gold(row: dict) -> dict:
    out = dict(row, gold=[dict(g, zh=to_traditional(g["zh"])) if g.get("zh") else g for g in row["gold"]])
    if row.get("answers") and row["answers"].get("zh"):
        out["answers"] = dict(row["answers"], zh=[to_traditional(a) for a in row["answers"]["zh"]])
    return out


def write_question_files() -> list[tuple[Path, Path, Path]]:
    """(Simplified questions, Traditional questions, Simplified questions with Traditional gold)."""
    triples = []
    for name in DEFAULT_FILES:
        source = PROJECT_ROOT / name
        rows = [q.model_dump(exclude_none=True) for q in load_questions(source) if q.lang == "zh"]
        stem = source.name.removesuffix(".jsonl")
        simplified = _write(ARTIFACTS / f"{stem}.zh-Hans.jsonl", rows)
        traditional = _write(
            source.with_name(f"{stem}.zh-Hant.jsonl"), [dict(r, question=to_traditional(r["question"])) for r in rows]
        )
        reverse = _write(ARTIFACTS / f"{stem}.zh-Hans.gold-zh-Hant.jsonl", [_traditional_gold(r) for r in rows])
        triples.append((simplified, traditional, reverse))
    return triples


def traditional_corpus() -> Path:
    """A copy of the corpus folder with every Chinese text file converted to Traditional."""
    source, target = get_settings().corpus_dir, ARTIFACTS / "corpus-zh-Hant"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in sorted(source.iterdir()):
        if path.suffix in (".txt", ".md"):
            (target / path.name).write_text(to_traditional(path.read_text(encoding="utf-8")), encoding="utf-8")
        elif path.is_file():
            shutil.copy(path, target / path.name)
    return target


def _summary(report: dict) -> dict:
    modes = {m: (v["hit@1"], v["mrr@10"]) for m, v in report["modes"].items()}
    refused = report["abstention"]["ask_answerable"]["errors"]
    return {
        "file": report["file"],
        "modes": modes,
        "answers": report["answers"]["rate"],
        "answerable_refused": sum(e["answerable"] for e in refused),
        "unanswerable_answered": sum(not e["answerable"] for e in refused),
    }


def _print(label: str, summary: dict) -> None:
    modes = "  ".join(f"{m} {h:.3f}/{r:.3f}" for m, (h, r) in summary["modes"].items())
    print(
        f"{label:<34} {modes}  answers {summary['answers']}  refused {summary['answerable_refused']}"
        f"  wrongly answered {summary['unanswerable_answered']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-only", action="store_true", help="only write the question files")
    parser.add_argument("--skip-reverse", action="store_true", help="skip the Traditional corpus")
    args = parser.parse_args()
    triples = write_question_files()
    if args.write_only:
        return
    out: dict = {"forward": [], "reverse": []}
    files = [p for s, t, _ in triples for p in (s, t)]
    for report in run_sets(files, [], None)["files"]:
        out["forward"].append(_summary(report))
    if not args.skip_reverse:
        corpus = traditional_corpus()
        reports = run_sets([], [(corpus, r) for _, _, r in triples], None)["files"]
        out["reverse"] = [_summary(r) for r in reports]
    for section, summaries in out.items():
        for s in summaries:
            _print(f"{section} {Path(s['file']).name}", s)
    atomic_write_json(PROJECT_ROOT / "test-artifacts" / "script-eval.json", out)


if __name__ == "__main__":
    main()
