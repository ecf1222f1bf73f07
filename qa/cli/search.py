"""`qa search`: the corpus's best passages for a question, as text or as the API's JSON."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence

import click

from qa.api.present import search_response
from qa.cli.collections import collection_option, settings_for
from qa.cli.common import fail, filter_option, parse_filters
from qa.search.engine import Hit
from qa.service import filtered_service, open_service
from qa.store.filters import FilterError, check_filter, filterable_fields


def print_hits(hits: Sequence[Hit], width: int = 100) -> None:
    for rank, hit in enumerate(hits, 1):
        passage = hit.passage
        click.secho(f"{rank}. [{hit.score:.3f}] {passage.citation.label}", bold=True)
        click.echo(textwrap.indent(textwrap.fill(passage.text, width), "   "))
        for translation in passage.translations:
            click.secho(textwrap.indent(textwrap.fill(translation.text, width), "   ↳ "), dim=True)
        click.echo()


@click.command()
@click.argument("question")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Only passages in this language (ask in English, --lang zh: cross-lingual).",
)
@click.option("-k", "--top-k", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (the API's shape).")
@filter_option()
@collection_option
def search(
    question: str, lang: str | None, top_k: int, as_json: bool, filters: tuple[str, ...], collection: str
) -> None:
    """Search the corpus for QUESTION."""
    question = question.strip()
    if not question:
        fail("the question is empty")
    try:
        service = open_service(settings_for(collection))
    except (ValueError, RuntimeError, OSError) as exc:
        fail(str(exc))
    try:
        doc_filter = check_filter(parse_filters(filters), filterable_fields(service.store.documents()))
    except FilterError as exc:
        fail(str(exc))
    result = filtered_service(service, doc_filter).engine.search(question, top_k, lang)
    if as_json:
        response = search_response(question, result, sum(result.timings_ms.values()))
        click.echo(json.dumps(response.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print_hits(result.hits)
