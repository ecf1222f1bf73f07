"""`qa analytics`: the question log from the command line (summary, gaps, export, purge)."""

from __future__ import annotations

import json
import sys

import click

from qa.analytics.reports import QuestionFilter, gaps, questions, summary, to_csv
from qa.analytics.service import Analytics
from qa.api.present import nearest_passage
from qa.settings import get_settings
from qa.state.db import open_state
from qa.store.backends import open_store


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


@analytics_command.command("gaps")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3650))
@click.option("--collection", default=None, help="Only this collection.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
def gaps_command(days: int, collection: str | None, limit: int) -> None:
    """What the documents are missing: unanswered questions grouped by meaning (JSON)."""
    analytics = _analytics()
    store = open_store(get_settings(), check_corpus=False)
    with analytics.state.session() as session:
        groups = gaps(
            session,
            analytics.question_vectors,
            analytics.grouping.min_similarity,
            lambda passage_id: nearest_passage(store, passage_id),
            days,
            collection,
            limit=limit,
        )
    click.echo(json.dumps({"groups": groups}, ensure_ascii=False, indent=2))


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
    asks, ratings = _analytics().purge()
    click.echo(
        f"deleted {asks} question(s) and {ratings} rating(s) older than {get_settings().analytics_retention_days} days"
    )
