"""qa.client, sync and async, against a real server on 127.0.0.1: typed results, API errors."""

from __future__ import annotations

import asyncio

import pytest
from _apps import app_with
from _live import live_server

from qa.api.schemas import AskResponse, SearchResponse
from qa.client import ApiError, AsyncClient, Client

KEY = "client-test-key"


@pytest.fixture(scope="module")
def base_url(settings, service):
    with live_server(app_with(settings, service, api_keys=[KEY])) as url:
        yield url


def test_the_sync_client_gets_typed_results(base_url):
    with Client(base_url, api_key=KEY) as qa:
        reply = qa.ask("全国碳市场覆盖了全国多少碳排放量？")
        assert isinstance(reply, AskResponse) and "60%以上" in reply.answer.text
        found = qa.search("hydropower capacity", top_k=2, lang="en")
        assert isinstance(found, SearchResponse) and [h.lang for h in found.results] == ["en", "en"]
        passage = qa.passage(reply.answer.passage_id)
        assert passage.text[reply.answer.start : reply.answer.end] == reply.answer.text
        assert {d.doc_id for d in qa.documents()} >= {passage.doc_id}
        follow_up = qa.ask("目前纳入了哪些行业？", history=["全国碳排放权交易市场是哪一年启动的？"], top_k=3)
        assert len(follow_up.citations) == 3


def test_api_errors_are_exceptions_with_the_apis_code(base_url):
    with Client(base_url, api_key=KEY) as qa:
        with pytest.raises(ApiError) as missing:
            qa.passage("no such passage")
        assert (missing.value.status, missing.value.code) == (404, "passage_not_found")
        with pytest.raises(ApiError) as empty:
            qa.ask("   ")
        assert (empty.value.status, empty.value.code) == (422, "invalid_request")
    with Client(base_url, api_key="wrong") as stranger, pytest.raises(ApiError) as refused:
        stranger.search("carbon")
    assert (refused.value.status, refused.value.code) == (401, "invalid_api_key")


def test_the_async_client_gets_the_same_answers(base_url):
    async def run():
        async with AsyncClient(base_url, api_key=KEY) as qa:
            replies = await asyncio.gather(
                qa.ask("How much regular hydropower capacity does China have?"),
                qa.search("碳市场", top_k=1),
                qa.documents(),
            )
            with pytest.raises(ApiError) as missing:
                await qa.passage("nope")
            return replies, missing.value.code

    (reply, found, documents), code = asyncio.run(run())
    assert "380 GW" in reply.answer.text and len(found.results) == 1 and documents
    assert code == "passage_not_found"
    with Client(base_url, api_key=KEY) as qa:
        assert qa.ask("How much regular hydropower capacity does China have?").answer == reply.answer
