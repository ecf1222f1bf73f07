"""The `qa` command line: build, search, serve, ingest (and eval, bench)."""

from __future__ import annotations

import json
import logging
import sys
import textwrap

import click

from qa.settings import Settings, get_settings


def _settings() -> Settings:
    return get_settings()


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


@click.group()
@click.version_option(package_name="qa")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
def cli(verbose: bool) -> None:
    """qa — ask a bilingual (中文 / English) corpus, get cited paragraphs in both languages."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@cli.command()
def build() -> None:
    """Parse the corpus, embed every passage and switch to a fresh index version."""
    from qa.embed.model import load_encoder
    from qa.service import build_store
    from qa.store.backends import open_store
    from qa.store.base import StoreError

    settings = _settings()
    try:
        encoder = load_encoder(settings.model, settings.threads)
        build_store(settings, encoder)
        manifest = open_store(settings).manifest
    except (ValueError, OSError, StoreError) as exc:
        _fail(str(exc))
    alignment = manifest["alignment"]
    click.echo(f"built {manifest['version']} in {manifest['build_seconds']} s: "
               f"{manifest['passage_count']} passages "
               f"(zh {manifest['passages_by_lang']['zh']}, en {manifest['passages_by_lang']['en']}) "
               f"from {len(manifest['documents'])} document(s), model {manifest['model_id']}")
    if alignment["aligned_units"]:
        click.echo(f"alignment: {alignment['aligned_units']} units, similarity "
                   f"min {alignment['min_similarity']} / mean {alignment['mean_similarity']}, "
                   f"{len(alignment['low_confidence'])} low-confidence")
        for unit in alignment["low_confidence"]:
            click.secho(f"  check: {unit['zh']} ↔ {unit['en']} (similarity {unit['similarity']}, "
                        f"length {unit['length_score']}, margin {unit.get('margin')})", fg="yellow")


def _print_hits(hits, width: int = 100) -> None:
    for rank, hit in enumerate(hits, 1):
        passage = hit.passage
        click.secho(f"{rank}. [{hit.score:.3f}] {passage.citation.label}", bold=True)
        click.echo(textwrap.indent(textwrap.fill(passage.text, width), "   "))
        for tr in passage.translations:
            click.secho(textwrap.indent(textwrap.fill(tr.text, width), "   ↳ "), dim=True)
        click.echo()


@cli.command()
@click.argument("question")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="Only passages in this language (ask in English, --lang zh: cross-lingual).")
@click.option("-k", "--top-k", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (the API's shape).")
def search(question: str, lang: str | None, top_k: int, as_json: bool) -> None:
    """Search the corpus for QUESTION."""
    from qa.api.present import search_response
    from qa.service import open_service

    question = question.strip()
    if not question:
        _fail("the question is empty")
    try:
        service = open_service(_settings())
    except (ValueError, RuntimeError, OSError) as exc:
        _fail(str(exc))
    result = service.engine.search(question, top_k, lang)
    if as_json:
        response = search_response(question, result, sum(result.timings_ms.values()))
        click.echo(json.dumps(response.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        _print_hits(result.hits)


@cli.command()
@click.option("--host", default=None, help="Bind address [QA_HOST, default 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [QA_PORT, default 8000].")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="uvicorn worker processes; keep workers × QA_THREADS ≤ CPU cores.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the HTTP API, the chat widget and its demo page (builds the index on first run)."""
    import uvicorn

    from qa.bench.stats import cpu_count

    settings = _settings()
    cores = cpu_count()
    if workers * settings.threads > cores:
        # Oversubscribed encoder threads spin against each other: throughput falls, never rises.
        click.echo(f"qa: warning: {workers} workers × QA_THREADS={settings.threads} > {cores} CPU cores; "
                   f"set QA_THREADS={max(1, cores // workers)} (docs/deployment.md)", err=True)
    # Jobs a crash interrupted are rolled back first, so the last good index matches the corpus.
    from qa.api.jobs import JOBS_FILE, JobRecords, recover

    recover(settings.corpus_dir, JobRecords(settings.index_dir / JOBS_FILE))
    if settings.auto_build and workers > 1:
        # Several workers would each build: build once before binding, so they load a finished
        # index. One worker opens its port at once and loads (or builds) in the background,
        # /readyz saying when it is ready.
        from qa.service import open_index
        from qa.embed.model import load_encoder

        try:
            open_index(settings, load_encoder(settings.model, settings.threads))
        except (ValueError, RuntimeError, OSError) as exc:
            _fail(str(exc))
    host = host or settings.host
    port = port or settings.port
    click.echo(f"qa: serving on http://{host}:{port}  (demo page /, API docs /docs)")
    from qa.api.connections import GuardedH11Protocol  # header/body timeouts, connection caps

    uvicorn.run("qa.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level, http=GuardedH11Protocol,
                timeout_keep_alive=settings.keep_alive_seconds,
                proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
                access_log=not settings.access_log)  # QA_ACCESS_LOG writes JSON lines instead


from qa.bench.cli import bench_command  # noqa: E402  (their heavy imports are lazy)
from qa.eval.cli import eval_command  # noqa: E402

cli.add_command(eval_command)
cli.add_command(bench_command)
from qa.cli_documents import documents_command, ingest_command  # noqa: E402
cli.add_command(ingest_command)
cli.add_command(documents_command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
