"""What every `qa` command shares: how a command fails, and the `--filter` option."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

FILTER_HELP = (
    "Only documents whose FIELD has VALUE: --filter tags=public (doc_id, lang or a metadata "
    "field; repeat: one field's values OR, fields AND)."
)


F = TypeVar("F", bound=Callable[..., Any])


def filter_option(help: str = FILTER_HELP) -> Callable[[F], F]:
    def add(command: F) -> F:
        return click.option("--filter", "filters", multiple=True, metavar="FIELD=VALUE", help=help)(command)

    return add


def parse_filters(values: tuple[str, ...]) -> dict[str, list[str]] | None:
    """`FIELD=VALUE` options as a filter mapping ({field: [values]}); None when none is given."""
    mapping: dict[str, list[str]] = {}
    for value in values:
        field, sep, item = value.partition("=")
        if not sep or not field.strip():
            fail(f"--filter {value!r}: give FIELD=VALUE, e.g. --filter tags=public")
        mapping.setdefault(field.strip(), []).append(item.strip())
    return mapping or None


def fail(message: str) -> NoReturn:
    """Print `message` as an error on stderr and exit with status 1."""
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)
