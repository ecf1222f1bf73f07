"""`qa ask`, `qa chat` and `qa mcp`: ask the documents from a terminal or serve them to agents.

`ask` and `chat` answer from the local index, or with `--url` from a remote `qa serve` (sending
QA_API_KEY); `mcp` serves the MCP tools over stdio for desktop agents and IDEs."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable

import click
import httpx
from pydantic import ValidationError

from qa.answer.followup import MAX_HISTORY
from qa.api.asking import QaAnswer, ask_once, qa_answer, quote_text
from qa.api.mcp.tools import build_server
from qa.api.schemas import AskRequest, AskResponse
from qa.cli.common import fail
from qa.client import ApiError, Client
from qa.service import open_service
from qa.settings import get_settings

Asker = Callable[[str, list[str], str | None, int], AskResponse]
WIDTH = 100
SUPPORT_COLOURS = {"stated": "green", "related": "yellow", "none": "red"}


def local_asker() -> Asker:
    try:
        service = open_service(get_settings(), progress=False)
    except (ValueError, RuntimeError, OSError) as exc:
        fail(str(exc))

    def ask(question: str, history: list[str], lang: str | None, top_k: int) -> AskResponse:
        return ask_once(service, AskRequest(question=question, history=history or None, lang=lang, top_k=top_k))

    return ask


def remote_asker(url: str) -> Asker:
    client = Client(url, api_key=get_settings().api_key or None)

    def ask(question: str, history: list[str], lang: str | None, top_k: int) -> AskResponse:
        return client.ask(question, history, "zh" if lang == "zh" else "en" if lang == "en" else None, top_k)

    return ask


def asked(asker: Asker, question: str, history: list[str], lang: str | None, top_k: int) -> AskResponse:
    """The response, or an error message on stderr and exit status 1."""
    try:
        return asker(question, history, lang, top_k)
    except ValidationError as exc:
        fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
    except ApiError as exc:
        fail(f"{exc.code}: {exc.message}")
    except httpx.TransportError as exc:
        fail(f"cannot reach the server: {exc}")


def print_answer(answer: QaAnswer) -> None:
    """The answer (or the honest note), support and confidence, then each citation and translation."""
    if answer.support == "stated" and answer.answer is not None:
        click.secho(textwrap.fill(quote_text(answer.answer), WIDTH), bold=True)
    else:
        click.echo(textwrap.fill(answer.message or "", WIDTH))
        if answer.closest is not None:
            click.echo(textwrap.fill(f"“{quote_text(answer.closest)}”", WIDTH))
    click.secho(f"support: {answer.support} · confidence {answer.confidence:.2f}", fg=SUPPORT_COLOURS[answer.support])
    for citation in answer.citations:
        click.echo()
        click.secho(f"[{citation.rank}] {citation.citation.label}", bold=True)
        click.echo(textwrap.indent(textwrap.fill(citation.text, WIDTH), "    "))
        for translation in citation.translations:
            click.secho(textwrap.indent(textwrap.fill(translation.text, WIDTH), "    ↳ "), dim=True)


url_option = click.option(
    "--url",
    default=None,
    metavar="URL",
    help="Ask a remote `qa serve` (e.g. http://host:8000) with QA_API_KEY, instead of the local index.",
)
lang_option = click.option(
    "--lang", type=click.Choice(["zh", "en"]), default=None, help="Language of the answer (default: the question's)."
)
top_k_option = click.option(
    "-k", "--top-k", type=click.IntRange(1, 50), default=5, show_default=True, help="How many citations."
)


@click.command("ask")
@click.argument("question")
@url_option
@lang_option
@top_k_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (the API's shape).")
def ask_command(question: str, url: str | None, lang: str | None, top_k: int, as_json: bool) -> None:
    """Answer QUESTION from the documents, with its citations (or say it is not covered)."""
    asker = remote_asker(url) if url else local_asker()
    response = asked(asker, question, [], lang, top_k)
    if as_json:
        click.echo(json.dumps(response.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print_answer(qa_answer(response))


@click.command("chat")
@url_option
@lang_option
@top_k_option
def chat_command(url: str | None, lang: str | None, top_k: int) -> None:
    """A conversation: each question is read in the light of the ones before it
    (`/new` starts over, `/quit` or Ctrl-D ends)."""
    asker = remote_asker(url) if url else local_asker()
    history: list[str] = []
    click.secho("Ask in 中文 or English. /new starts a new conversation, /quit ends.", dim=True, err=True)
    while True:
        try:
            question = click.prompt("?", prompt_suffix=" ", err=True).strip()
        except (EOFError, click.Abort):
            break
        if question in ("/quit", "/exit"):
            break
        if question == "/new":
            history = []
            continue
        if not question:
            continue
        print_answer(qa_answer(asked(asker, question, history, lang, top_k)))
        click.echo()
        history = [*history, question][-MAX_HISTORY:]


@click.command("mcp")
def mcp_command() -> None:
    """Serve the MCP tools (search, ask, get_passage, list_documents) over stdio."""
    try:
        service = open_service(get_settings(), progress=False)
    except (ValueError, RuntimeError, OSError) as exc:
        fail(str(exc))
    build_server(lambda: service).run("stdio")
