"""`qa collections` (list, create, delete) and the `--collection` option of build/ingest/search.

Registered on the main group in qa/cli.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any, TypeVar

import click

from qa.cli.common import fail
from qa.service import collection_summary
from qa.settings import Settings, get_settings
from qa.state import open_state
from qa.state.collections import (
    DEFAULT_COLLECTION,
    add_collection,
    get_collection,
    list_collections,
    remove_collection,
    valid_name,
)
from qa.store.collections import collection_root, collection_settings

F = TypeVar("F", bound=Callable[..., Any])


def collection_option(command: F) -> F:
    return click.option(
        "--collection",
        default=DEFAULT_COLLECTION,
        show_default=True,
        help="The collection to work on (`qa collections` lists them).",
    )(command)


def settings_for(name: str) -> Settings:
    """The settings of collection `name`, or exit with a clear error when there is none."""
    settings = get_settings()
    if name != DEFAULT_COLLECTION:
        if not valid_name(name):
            fail(f"{name!r} is not a collection name (lowercase letters, digits, '-' and '_')")
        with open_state(settings).session() as session:
            if get_collection(session, name) is None:
                fail(f"no collection named '{name}': `qa collections create {name}`")
    return collection_settings(settings, name)


@click.group("collections", invoke_without_command=True)
@click.pass_context
def collections_command(ctx: click.Context) -> None:
    """List the collections (or create/delete one): each has its own documents and index."""
    if ctx.invoked_subcommand is not None:
        return
    settings = get_settings()
    with open_state(settings).session() as session:
        rows = [(row.name, row.title) for row in list_collections(session)]
    for name, title in rows:
        out = collection_summary(settings, name)
        click.echo(
            f"{name}  documents={out.documents}  zh={out.passages.get('zh', 0)}  "
            f"en={out.passages.get('en', 0)}  version={out.index_version or '-'}  {title}"
        )


@collections_command.command("create")
@click.argument("name")
@click.option("--title", default="", help="A title for people.")
def create(name: str, title: str) -> None:
    """Create the empty collection NAME (then `qa ingest --collection NAME FILE`)."""
    settings = get_settings()
    try:
        with open_state(settings).session() as session:
            if get_collection(session, name) is not None:
                fail(f"the collection '{name}' exists already")
            add_collection(session, name, title)
            (collection_root(settings, name) / "corpus").mkdir(parents=True, exist_ok=True)
    except (ValueError, OSError) as exc:
        fail(str(exc))
    click.echo(f"created {name}")


@collections_command.command("delete")
@click.argument("name")
def delete(name: str) -> None:
    """Delete collection NAME with its documents and index versions."""
    settings = get_settings()
    with open_state(settings).session() as session:
        if get_collection(session, name) is None:
            fail(f"no collection named '{name}'")
        if name == DEFAULT_COLLECTION or len(list_collections(session)) <= 1:
            fail("'default' (QA_CORPUS_DIR itself) and the last collection are not deleted")
        remove_collection(session, name)
        shutil.rmtree(collection_root(settings, name), ignore_errors=True)
    click.echo(f"deleted {name}")
