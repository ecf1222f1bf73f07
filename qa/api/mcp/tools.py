"""The MCP server: four tools over the loaded index, with the HTTP API's schemas and limits.

A tool validates its arguments with the same pydantic schemas as the HTTP API, so a model gets
the same limits and the same explanations; every failure it can cause or meet (bad arguments,
unknown ids, index still loading, server busy) is a `ToolError` the model can read, never a
crash of the server."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Literal, ParamSpec, TypeVar

from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from qa import __version__
from qa.answer.followup import MAX_HISTORY
from qa.api.asking import QaAnswer, ask_once, qa_answer
from qa.api.present import document_out, passage_out, search_response
from qa.api.schemas import (
    MAX_QUERY_CHARS,
    MAX_TOP_K,
    AskRequest,
    DocumentSummary,
    PassageOut,
    SearchRequest,
    SearchResponse,
)
from qa.embed.batching import QueueFull
from qa.service import Service, filtered_service
from qa.store.base import StoreUnavailable
from qa.store.filters import FilterError, check_filter, filterable_fields

INSTRUCTIONS = (
    "Search and ask a bilingual (Chinese / English) document collection. Every result quotes "
    "the documents verbatim with a citation label and the passage's translation. Use `ask` for "
    "a question (it answers only when the documents state the answer: check `support` and "
    "`confidence`), `search` for passages about a topic, `get_passage` to read a cited passage, "
    "`list_documents` to see what the collection holds."
)
READ_ONLY = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)

P = ParamSpec("P")
R = TypeVar("R")
Query = Annotated[
    str,
    Field(description=f"Chinese or English, 1–{MAX_QUERY_CHARS} characters.", min_length=1, max_length=MAX_QUERY_CHARS),
]
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K, description="How many passages to return.")]
Lang = Annotated[
    Literal["zh", "en"] | None,
    Field(
        description="Only passages in this language (search), or the answer's language (ask); "
        "null = both / the question's."
    ),
]


DocFilterArg = Annotated[
    dict[str, list[str]] | None,
    Field(
        description="Only documents matching {field: [values]} (doc_id, lang or a metadata field such as "
        "tags; a field matches any listed value, fields combine with AND); null = all."
    ),
]


def _filtered(service: Service, doc_filter: dict[str, list[str]] | None) -> Service:
    """`service` held to the tool's `filter`, or a ToolError naming a field it cannot filter on."""
    try:
        return filtered_service(service, check_filter(doc_filter, filterable_fields(service.store.documents())))
    except FilterError as exc:
        raise ToolError(f"invalid filter: {exc}") from None


def _checked(schema: type[BaseModel], **fields) -> BaseModel:
    """The arguments as the HTTP API would accept them, or a ToolError saying what to fix."""
    try:
        return schema(**fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()[:5]
        )
        raise ToolError(f"invalid arguments: {problems}") from None


def _explained(tool: Callable[P, R]) -> Callable[P, R]:
    """Failures the service explains (busy, store down) reach the model as readable errors."""

    @wraps(tool)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return tool(*args, **kwargs)
        except QueueFull:
            raise ToolError("the server is busy with other queries; retry in a few seconds") from None
        except StoreUnavailable as exc:
            raise ToolError(f"the document store cannot be reached right now: {exc}") from None

    return run


def build_server(service_of: Callable[[], Service]) -> MCPServer:
    """The MCP server; `service_of` gives the loaded service or raises ToolError (still loading)."""
    # log_level: the SDK calls logging.basicConfig with it; WARNING leaves the process's level as it was.
    server = MCPServer(
        name="qa",
        title="qa — bilingual documents with citations",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
    )

    @server.tool(annotations=READ_ONLY)
    @_explained
    def search(query: Query, top_k: TopK = 5, lang: Lang = None, filter: DocFilterArg = None) -> SearchResponse:
        """Find the passages that best match `query`, in either language, best first. Each hit has
        its text, citation (document, section, paragraph, page) and its translations."""
        body = _checked(SearchRequest, query=query, top_k=top_k, lang=lang)
        started = time.perf_counter()
        result = _filtered(service_of(), filter).engine.search(body.query, body.top_k, body.lang)
        return search_response(body.query, result, (time.perf_counter() - started) * 1e3)

    @server.tool(annotations=READ_ONLY)
    @_explained
    def ask(
        question: Query,
        history: Annotated[
            list[str] | None,
            Field(
                description=f"Earlier questions of the conversation, oldest first (at most "
                f"{MAX_HISTORY}): a follow-up like 'And the N?' is read in their light."
            ),
        ] = None,
        lang: Lang = None,
        top_k: TopK = 5,
        filter: DocFilterArg = None,
    ) -> QaAnswer:
        """Answer `question` with one or two sentences quoted verbatim from the documents, in the
        asker's language, with citations. `support` says whether the documents state the answer
        (stated), only speak of the subject (related) or do not cover it (none); then `answer` is
        null and `message` says so: do not guess beyond the documents."""
        body = _checked(AskRequest, question=question, history=history, lang=lang, top_k=top_k)
        return qa_answer(ask_once(_filtered(service_of(), filter), body))

    @server.tool(annotations=READ_ONLY)
    @_explained
    def get_passage(
        passage_id: Annotated[
            str, Field(min_length=1, max_length=200, description="A `passage_id` from search or ask results.")
        ],
    ) -> PassageOut:
        """One passage by id: its full text, citation and translations."""
        store = service_of().store
        row = store.row_of(passage_id)
        if row is None:
            raise ToolError(f"no passage with id '{passage_id}'")
        return passage_out(store.passage(row))

    @server.tool(annotations=READ_ONLY)
    @_explained
    def list_documents() -> list[DocumentSummary]:
        """The documents of the collection: id, title in both languages, passages per language."""
        return [document_out(d) for d in service_of().store.documents()]

    return server
