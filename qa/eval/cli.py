"""`qa eval`: score retrieval and abstention on a question file, in process or against a server."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qa.settings import PROJECT_ROOT

DEFAULT_QUESTIONS = PROJECT_ROOT / "tests" / "data" / "dev.jsonl"
DEFAULT_OUT = Path("eval-results") / "dev.json"


def format_report(report: dict) -> str:
    """The human summary: a metrics table per mode, abstention, then the misses."""
    lines = [f"{report['questions']} questions ({report['answerable']} answerable, "
             f"{report['unanswerable']} without an answer) from {report['file']}",
             "", f"{'mode':<6} {'hit@1':>6} {'hit@5':>6} {'mrr@10':>7}"]
    for mode, m in report["modes"].items():
        lines.append(f"{mode:<6} {m['hit@1']:>6.3f} {m['hit@5']:>6.3f} {m['mrr@10']:>7.3f}")
    lines.append("")
    for signal, a in report["abstention"].items():
        if not a["available"]:
            lines.append(f"abstention via {signal}: unavailable (the service does not report it)")
            continue
        precision = "n/a" if a["precision"] is None else f"{a['precision']:.3f}"
        recall = "n/a" if a["recall"] is None else f"{a['recall']:.3f}"
        lines.append(f"abstention via {signal}: precision {precision}, recall {recall} "
                     f"({a['flagged_unanswerable']}/{a['unanswerable']} unanswerable flagged, "
                     f"{a['flagged_answerable']}/{a['answerable']} answerable wrongly flagged)")
        for err in a["errors"]:
            what = "flagged but answerable" if err["answerable"] else "not flagged"
            lines.append(f"  {err['id']} {what}: {err['question']}")
    answers = report.get("answers", {})
    if answers.get("available"):
        lines += ["", f"/v1/ask answer sentence holds the gold snippet: {answers['with_gold']}/"
                      f"{answers['answerable']} ({answers['rate']:.3f})"]
        for miss in answers["misses"]:
            lines.append(f"  {miss['id']}: {miss['question']}\n      answer: {miss['answer']}")
    if report["misses"]:
        lines += ["", "misses (first result was not an answer):"]
    for miss in report["misses"]:
        first = miss["first"]
        got = f"{first['passage_id']}: {first['text'][:80]}" if first else "(no results)"
        rank = miss["rank"] or f">{10}"
        lines.append(f"  [{miss['mode']}] {miss['id']} (answer at rank {rank}) {miss['question']}\n"
                     f"      first: {got}")
    return "\n".join(lines)


@click.command("eval")
@click.argument("questions", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", default=None, help="Evaluate a live server (e.g. http://127.0.0.1:8000) "
              "instead of the index in process.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="Where to write the figures as JSON.")
def eval_command(questions: Path | None, url: str | None, out: Path) -> None:
    """Score hit@1, hit@5, MRR@10 (modes any/same/cross) and abstention on QUESTIONS.

    QUESTIONS is a JSON-lines file of {id, lang, question, gold: [{zh, en}]}; an empty gold marks
    a question the corpus cannot answer. Default: the repository's dev set.
    """
    import httpx

    from qa.eval.runner import in_process_client, live_client, run_file
    from qa.fsutil import atomic_write_json

    path = questions or DEFAULT_QUESTIONS
    try:
        if url:
            with live_client(url) as client:
                report = run_file(client, path)
        else:
            from qa.service import open_service
            from qa.settings import get_settings

            with in_process_client(open_service(get_settings())) as client:
                report = run_file(client, path)
    except (ValueError, RuntimeError, OSError, httpx.HTTPError) as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(1)
    click.echo(format_report(report))
    atomic_write_json(out, report)
    click.echo(f"\nwrote {out}")
