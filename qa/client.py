"""A small Python client of the HTTP API (sync and async, over httpx), with typed results.

    from qa.client import Client

    with Client("http://127.0.0.1:8000", api_key="…") as qa:
        reply = qa.ask("全国碳市场覆盖了多少碳排放量？")
        print(reply.answer.text if reply.answer else reply.message)
        for hit in qa.search("carbon market", top_k=3).results:
            print(hit.citation.label)

Results are the API's own pydantic schemas (qa.api.schemas); an error answer raises `ApiError`
with the API's `code` and `message` (and `retry_after` when the server sent one).
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter

from qa.api.schemas import AskResponse, DocumentSummary, PassageOut, SearchResponse

Lang = Literal["zh", "en"] | None
DEFAULT_TIMEOUT = 60.0
_DOCUMENTS = TypeAdapter(list[DocumentSummary])


class ApiError(Exception):
    """An error answer of the API: HTTP status, the API's error code and message."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def _raise_for_error(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        error = response.json()["error"]
        code, message = str(error.get("code") or "error"), str(error.get("message") or "")
    except (ValueError, KeyError, TypeError, AttributeError):
        code, message = "error", response.text[:500]
    retry = response.headers.get("retry-after")
    raise ApiError(
        response.status_code, code, message, float(retry) if retry and retry.replace(".", "", 1).isdigit() else None
    )


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _ask_body(question: str, history: list[str] | None, lang: Lang, top_k: int) -> dict[str, Any]:
    return {"question": question, "history": history or None, "lang": lang, "top_k": top_k}


Model = TypeVar("Model", bound=BaseModel)


def _parse(model: type[Model], response: httpx.Response) -> Model:
    _raise_for_error(response)
    return model.model_validate(response.json())


class Client:
    """Synchronous client; use it as a context manager or call `close()`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), headers=_headers(api_key), timeout=timeout, transport=transport
        )

    def search(self, query: str, top_k: int = 5, lang: Lang = None) -> SearchResponse:
        return _parse(
            SearchResponse, self._http.post("/v1/search", json={"query": query, "top_k": top_k, "lang": lang})
        )

    def ask(self, question: str, history: list[str] | None = None, lang: Lang = None, top_k: int = 5) -> AskResponse:
        return _parse(AskResponse, self._http.post("/v1/ask", json=_ask_body(question, history, lang, top_k)))

    def passage(self, passage_id: str) -> PassageOut:
        return _parse(PassageOut, self._http.get(f"/v1/passages/{quote(passage_id, safe='')}"))

    def documents(self) -> list[DocumentSummary]:
        response = self._http.get("/v1/documents")
        _raise_for_error(response)
        return _DOCUMENTS.validate_python(response.json())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient:
    """The same calls, awaitable; use it with `async with` or call `aclose()`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=_headers(api_key), timeout=timeout, transport=transport
        )

    async def search(self, query: str, top_k: int = 5, lang: Lang = None) -> SearchResponse:
        return _parse(
            SearchResponse, await self._http.post("/v1/search", json={"query": query, "top_k": top_k, "lang": lang})
        )

    async def ask(
        self, question: str, history: list[str] | None = None, lang: Lang = None, top_k: int = 5
    ) -> AskResponse:
        return _parse(AskResponse, await self._http.post("/v1/ask", json=_ask_body(question, history, lang, top_k)))

    async def passage(self, passage_id: str) -> PassageOut:
        return _parse(PassageOut, await self._http.get(f"/v1/passages/{quote(passage_id, safe='')}"))

    async def documents(self) -> list[DocumentSummary]:
        response = await self._http.get("/v1/documents")
        _raise_for_error(response)
        return _DOCUMENTS.validate_python(response.json())

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
