"""`qa eval`: score ranking, abstention and answers; cross-validate and fit the calibration."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qa.eval.report import format_cv, format_report
from qa.fsutil import atomic_write_json
from qa.settings import PROJECT_ROOT

DEFAULT_FILES = ("tests/data/dev.jsonl", "tests/data/dev2.jsonl")
DEFAULT_OUT = Path("eval-results") / "eval.json"


def default_questions() -> list[Path]:
    """The repository's dev files, when run from a checkout (or the package's own checkout)."""
    for root in (Path.cwd(), PROJECT_ROOT):
        found = [root / name for name in DEFAULT_FILES if (root / name).is_file()]
        if found:
            return found
    return []


def _parse_set(value: str) -> tuple[Path, Path]:
    corpus, _, questions = value.partition("=")
    if not questions:
        raise click.BadParameter(f"{value!r} is not CORPUS_DIR=QUESTIONS_FILE")
    corpus_path, questions_path = Path(corpus), Path(questions)
    if not corpus_path.is_dir() or not questions_path.is_file():
        raise click.BadParameter(f"{corpus_path} must be a folder and {questions_path} a file")
    return corpus_path, questions_path


@click.command("eval")
@click.argument("questions", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="CORPUS_DIR=QUESTIONS",
    help="Also evaluate QUESTIONS against another corpus (its index is built in a cache "
    "folder beside QA_INDEX_DIR). Repeatable.",
)
@click.option(
    "--url", default=None, help="Evaluate a live server (e.g. http://127.0.0.1:8000) instead of the index in process."
)
@click.option(
    "--folds",
    type=click.IntRange(2, 20),
    default=None,
    help="Cross-validate: fit every tuned constant on K−1 folds, score the held-out fold.",
)
@click.option(
    "--fit",
    "fit_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --folds: also fit on all questions and write the calibration JSON here "
    "(the service reads qa/search/calibration.json).",
)
@click.option(
    "--followups",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="With --fit: also refit the follow-up rule on this conversation file "
    "(e.g. tests/data/followup.jsonl, on the configured corpus).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Where to write the figures as JSON.",
)
def eval_command(
    questions: tuple[Path, ...],
    sets: tuple[str, ...],
    url: str | None,
    folds: int | None,
    fit_out: Path | None,
    followups: Path | None,
    out: Path,
) -> None:
    """Score hit@1, hit@5, MRR@10 (modes any/same/cross), abstention and answers on QUESTIONS.

    QUESTIONS are JSON-lines files of {id, lang, question, gold: [{zh, en}], answers?}; an empty
    gold marks a question the corpus cannot answer. Default: the repository's dev files.
    """
    import httpx

    paths = list(questions) or default_questions()
    try:
        extra = [_parse_set(s) for s in sets]
    except click.BadParameter as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)
    if not paths and not extra:
        click.secho("error: no question file given and no tests/data/dev*.jsonl here", fg="red", err=True)
        sys.exit(2)
    if fit_out and not folds:
        click.secho("error: --fit needs --folds", fg="red", err=True)
        sys.exit(2)
    try:
        if folds:
            if url:
                raise ValueError("--folds runs in process (it re-scores candidates); drop --url")
            from qa.eval.session import cross_validate_sets  # torch and the index: for a run, not --help

            report = cross_validate_sets(paths, extra, folds, fit_out, followups)
            text = format_cv(report)
        else:
            from qa.eval.session import run_sets  # torch and the index: for a run, not --help

            report = run_sets(paths, extra, url)
            text = "\n\n".join(format_report(r) for r in report["files"])
    except (ValueError, RuntimeError, OSError, httpx.HTTPError) as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(1)
    click.echo(text)
    atomic_write_json(out, report)
    click.echo(f"\nwrote {out}")
