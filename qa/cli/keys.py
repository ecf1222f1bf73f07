"""`qa keys create|list|revoke`: stored API keys, in the state store of the current settings.

Registered on the main group in qa/cli.py. Writes the same database a running server reads, so a
key created or revoked here counts on every server within QA_KEY_CACHE_SECONDS.
"""

from __future__ import annotations

import json
from datetime import datetime

import click
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from qa.api.errors import ApiError
from qa.api.policy import SCOPES
from qa.api.routes.key_schemas import KeyOut, KeySpec
from qa.api.routes.keys import add_key
from qa.cli.common import fail, filter_option, parse_filters
from qa.settings import get_settings
from qa.state import open_state
from qa.state.keys import list_keys, revoke_key


def _split(values: tuple[str, ...]) -> list[str] | None:
    """Repeated and/or comma-separated option values; None when not given."""
    items = [item.strip() for value in values for item in value.split(",") if item.strip()]
    return items or None


@click.group("keys")
def keys_command() -> None:
    """Create, list and revoke stored API keys (scopes, collections, origins, budgets, expiry)."""


@keys_command.command("create")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help=f"What the key may do (repeat or comma-separate): {', '.join(SCOPES)}.",
)
@click.option("--name", default="", help="A label for people.")
@click.option("--collection", "collections", multiple=True, help="A collection it may use (repeat); default all.")
@click.option("--origin", "origins", multiple=True, help="A web page origin it works from (widget keys; repeat).")
@click.option("--rate-per-minute", type=float, default=None, help="Requests per minute of the key.")
@click.option("--tokens-per-minute", type=float, default=None, help="Encoder tokens per minute of the key.")
@click.option("--expires-at", default=None, help="RFC 3339 expiry, e.g. 2027-01-31T00:00:00Z.")
@filter_option("A document filter every request of the key is held to: --filter tags=public (repeat).")
def create(
    scopes: tuple[str, ...],
    name: str,
    collections: tuple[str, ...],
    origins: tuple[str, ...],
    rate_per_minute: float | None,
    tokens_per_minute: float | None,
    expires_at: str | None,
    filters: tuple[str, ...],
) -> None:
    """Create a key and print it as JSON: the secret is shown this once."""
    settings = get_settings()
    try:
        spec = KeySpec(
            name=name,
            scopes=_split(scopes) or [],
            collections=_split(collections),
            origins=_split(origins),
            rate_per_minute=rate_per_minute,
            tokens_per_minute=tokens_per_minute,
            expires_at=expires_at,
            filter=parse_filters(filters),
        )
        created = add_key(open_state(settings), settings, spec)
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    except ApiError as exc:
        fail(exc.message)
    except SQLAlchemyError as exc:
        fail(f"the state store cannot be reached: {exc}")
    click.echo(created.model_dump_json(indent=2))


@keys_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_command(as_json: bool) -> None:
    """The keys not revoked, without secrets."""
    with open_state(get_settings()).session() as session:
        keys = [KeyOut.of(row) for row in list_keys(session)]
    if as_json:
        click.echo(json.dumps([k.model_dump(mode="json") for k in keys], ensure_ascii=False, indent=2))
        return
    for key in keys:
        expiry = key.expires_at.isoformat() if isinstance(key.expires_at, datetime) else "never"
        click.echo(
            f"{key.id}  {','.join(key.scopes)}  collections={','.join(key.collections or ['*'])}  "
            f"origins={','.join(key.origins or ['*'])}  expires={expiry}  {key.name}"
        )


@keys_command.command("revoke")
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke KEY_ID: refused by every server within QA_KEY_CACHE_SECONDS."""
    with open_state(get_settings()).session() as session:
        if revoke_key(session, key_id) is None:
            fail(f"no key with id '{key_id}'")
    click.echo(f"revoked {key_id}")
