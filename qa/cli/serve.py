"""`qa serve`: the HTTP API, the chat widget and its demo page, under uvicorn."""

from __future__ import annotations

from functools import partial

import click
import uvicorn

from qa.api.connections import GuardedH11Protocol
from qa.api.job_recovery import LEGACY_JOBS_FILE, recover
from qa.cli.common import fail
from qa.embed.model import load_encoder
from qa.embed.threads import usable_cores
from qa.service import open_index
from qa.settings import Settings, get_settings
from qa.state import open_state
from qa.store.collections import collection_corpus

DEFAULTS = Settings.model_fields  # the help names the settings' own defaults


@click.command()
@click.option("--host", default=None, help=f"Bind address [QA_HOST, default {DEFAULTS['host'].default}].")
@click.option("--port", type=int, default=None, help=f"Port [QA_PORT, default {DEFAULTS['port'].default}].")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="uvicorn worker processes; keep workers × QA_THREADS ≤ CPU cores.",
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the HTTP API, the chat widget and its demo page (builds the index on first run)."""
    settings = get_settings()
    cores = usable_cores()
    if workers * settings.threads > cores:
        # Oversubscribed encoder threads spin against each other: throughput falls, never rises.
        click.echo(
            f"qa: warning: {workers} workers × QA_THREADS={settings.threads} > {cores} CPU cores; "
            f"set QA_THREADS={max(1, cores // workers)} (docs/deployment.md)",
            err=True,
        )
    # Jobs a crash interrupted are rolled back first, so the last good index matches the corpus.
    try:
        recover(
            settings.corpus_dir,
            open_state(settings),
            settings.index_dir / LEGACY_JOBS_FILE,
            partial(collection_corpus, settings),
        )
    except Exception as exc:  # a dead database must not keep the port closed (the app retries)
        click.echo(f"qa: warning: document jobs not recovered yet: {exc}", err=True)
    if settings.auto_build and workers > 1:
        # Several workers would each build: build once before binding, so they load a finished
        # index. One worker opens its port at once and loads (or builds) in the background,
        # /readyz saying when it is ready.
        try:
            open_index(settings, load_encoder(settings.model, settings.threads))
        except (ValueError, RuntimeError, OSError) as exc:
            fail(str(exc))
    host = host or settings.host
    port = port or settings.port
    click.echo(f"qa: serving on http://{host}:{port}  (demo page /, API docs /docs)")
    uvicorn.run(
        "qa.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        http=GuardedH11Protocol,  # header/body timeouts, connection caps (qa/api/connections.py)
        timeout_keep_alive=settings.keep_alive_seconds,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        access_log=not settings.access_log,
    )  # QA_ACCESS_LOG writes JSON lines instead
