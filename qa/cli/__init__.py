"""The `qa` command line: one module per command group, registered here by name.

A command's module is imported only when that command runs (or `--help` lists it), so
`qa serve` loads neither the evaluation nor the benchmark stack, and `qa documents` no encoder.
`eval` and `bench` sit above the CLI in the layers: they are named here, never imported.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import click

# name → "module:attribute" of its click command.
COMMANDS = {
    "build": "qa.cli.index:build",
    "search": "qa.cli.search:search",
    "serve": "qa.cli.serve:serve",
    "ingest": "qa.cli.documents:ingest_command",
    "documents": "qa.cli.documents:documents_command",
    "analytics": "qa.cli.analytics:analytics_command",
    "keys": "qa.cli.keys:keys_command",
    "collections": "qa.cli.collections:collections_command",
    "ask": "qa.cli.ask:ask_command",
    "chat": "qa.cli.ask:chat_command",
    "mcp": "qa.cli.ask:mcp_command",
    "eval": "qa.eval.cli:eval_command",
    "fit-grouping": "qa.eval.gaps:fit_grouping_command",
    "bench": "qa.bench.cli:bench_command",
}


class LazyGroup(click.Group):
    """A group whose commands are imported from `COMMANDS` when first asked for."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attribute = self.lazy[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(package_name="qa")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
def cli(verbose: bool) -> None:
    """qa — ask a bilingual (中文 / English) corpus, get cited paragraphs in both languages."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
