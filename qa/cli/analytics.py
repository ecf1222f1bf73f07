"""`qa analytics`: the question log from the command line (summary, gaps, export, purge)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from qa.analytics.grouping import GROUPING_FILE, load_grouping
from qa.analytics.reports import QuestionFilter, questions, summary, to_csv
from qa.analytics.service import Analytics
from qa.embed.model import load_encoder
from qa.eval.gaps import fit_grouping, read_twins
from qa.settings import get_settings
from qa.state.db import open_state


def _analytics() -> Analytics:
    settings = get_settings()
    return Analytics(open_state(settings), settings.model_copy(update={"analytics": False}))


@click.group("analytics")
def analytics_command() -> None:
    """What visitors asked and how they rated the answers (the state store's question log)."""


@analytics_command.command("summary")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3650))
@click.option("--collection", default=None, help="Only this collection.")
def summary_command(days: int, collection: str | None) -> None:
    """Asks by support and ratings, per day, collection and language (JSON)."""
    with _analytics().state.session() as session:
        click.echo(json.dumps(summary(session, days, collection), ensure_ascii=False, indent=2))


@analytics_command.command("export")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3650))
@click.option("--csv", "as_csv", is_flag=True, help="CSV instead of JSON lines.")
@click.option("--support", type=click.Choice(["stated", "related", "none"]), default=None)
def export_command(days: int, as_csv: bool, support: str | None) -> None:
    """Every logged question of the last DAYS days, newest first."""
    wanted = QuestionFilter(days=days, support=support, limit=sys.maxsize)
    with _analytics().state.session() as session:
        _, items = questions(session, wanted)
    if as_csv:
        click.echo(to_csv(items), nl=False)
        return
    for item in items:
        click.echo(json.dumps(item, ensure_ascii=False))


@analytics_command.command("purge")
def purge_command() -> None:
    """Delete records older than QA_ANALYTICS_RETENTION_DAYS now."""
    analytics = Analytics(open_state(get_settings()), get_settings())
    asks, ratings = analytics.purge()
    analytics.close()
    click.echo(f"deleted {asks} question(s) and {ratings} rating(s) older than "
               f"{get_settings().analytics_retention_days} days")


@analytics_command.command("fit-grouping")
@click.argument("twins", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@click.option("--write", "write_to", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Write the fitted grouping here (the shipped one is {GROUPING_FILE.name}).")
def fit_grouping_command(twins: Path, folds: int, write_to: Path | None) -> None:
    """Fit the content-gaps threshold on TWINS (JSONL: topic, zh, en), cross-validated by topic."""
    rows = read_twins(twins)
    model = load_grouping().model
    vectors = load_encoder(model, get_settings().threads).encode_queries(
        [row[lang] for row in rows for lang in ("zh", "en")])
    fit = fit_grouping(rows, vectors, folds)
    click.echo(json.dumps(asdict(fit), indent=2))
    if write_to is not None:
        write_to.write_text(json.dumps({"model": model, "min_similarity": fit.min_similarity,
                                        "fitted_on": twins.name, "folds": folds,
                                        "held_out_together": fit.held_out_together,
                                        "held_out_precision": fit.held_out_precision}, indent=2) + "\n",
                            encoding="utf-8")
