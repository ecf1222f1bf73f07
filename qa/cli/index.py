"""`qa build`: parse the corpus, embed it and switch to a fresh index version."""

from __future__ import annotations

import click

from qa.cli.collections import collection_option, settings_for
from qa.cli.common import fail
from qa.embed.model import load_encoder
from qa.embed.threads import nice_for_share, run_at_lower_priority
from qa.service import build_store
from qa.store.backends import open_store
from qa.store.base import StoreError
from qa.store.collections import DEFAULT_COLLECTION


@click.command()
@collection_option
def build(collection: str) -> None:
    """Parse the corpus, embed every passage and switch to a fresh index version."""
    settings = settings_for(collection)

    def build_lowered() -> None:
        encoder = load_encoder(settings.model, settings.threads)
        build_store(settings, encoder, allow_empty=collection != DEFAULT_COLLECTION)

    try:
        # Below a server's priority, so that a server beside it keeps answering; alone, it gets
        # all the cores anyway. On a thread of its own, whose model threads inherit the priority:
        # the caller (a test run, a script) keeps its own.
        run_at_lower_priority(nice_for_share(settings.build_encoder_share), build_lowered)
        manifest = open_store(settings).manifest
    except (ValueError, OSError, StoreError) as exc:
        fail(str(exc))
    alignment = manifest["alignment"]
    click.echo(
        f"built {manifest['version']} in {manifest['build_seconds']} s: "
        f"{manifest['passage_count']} passages "
        f"(zh {manifest['passages_by_lang']['zh']}, en {manifest['passages_by_lang']['en']}) "
        f"from {len(manifest['documents'])} document(s), model {manifest['model_id']}"
    )
    terms = manifest.get("terms") or {}
    if terms.get("terms") or terms.get("synonym_groups"):
        click.echo(
            f"terms: {terms['terms']} from terms.txt, {terms['synonym_groups']} synonym group(s) from synonyms.txt"
        )
    if alignment["aligned_units"]:
        click.echo(
            f"alignment: {alignment['aligned_units']} units, similarity "
            f"min {alignment['min_similarity']} / mean {alignment['mean_similarity']}, "
            f"{len(alignment['low_confidence'])} low-confidence (links marked uncertain)"
        )
        for unit in alignment["low_confidence"]:
            click.secho(
                f"  check: {unit['zh']} ↔ {unit['en']} (similarity {unit['similarity']}, "
                f"length {unit['length_score']}, margin {unit.get('margin')})",
                fg="yellow",
            )
        unlinked = alignment.get("unlinked", [])
        if unlinked:
            click.secho(
                f"  {len(unlinked)} paragraph(s) without a translation: {', '.join(unlinked[:10])}"
                + (" …" if len(unlinked) > 10 else ""),
                fg="yellow",
            )
