"""The MCP server, driven by the official `mcp` SDK client over streamable HTTP (a real server on
127.0.0.1, /mcp) and over stdio (`qa mcp` as a child process): the four tools, their results,
bad arguments as tool errors, and the API keys on /mcp."""

from __future__ import annotations

import asyncio
import os
import sys

import httpx
import httpx2
import pytest
from _apps import app_with
from _live import live_server
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

KEY = "mcp-test-key"
TOOLS = {"search", "ask", "get_passage", "list_documents"}


@pytest.fixture(scope="module")
def base_url(settings, service):
    with live_server(app_with(settings, service, api_keys=[KEY])) as url:
        yield url


def http_transport(base_url: str, key: str = KEY):
    return streamable_http_client(
        f"{base_url}/mcp", http_client=httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"})
    )


async def exercise(client: Client) -> dict:
    """Every tool once, and the bad calls; what each returned."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    found = await client.call_tool("search", {"query": "全国碳市场覆盖了多少碳排放量", "top_k": 3})
    asked = await client.call_tool("ask", {"question": "How much regular hydropower capacity does China have?"})
    first = found.structured_content["results"][0]["passage_id"]
    passage = await client.call_tool("get_passage", {"passage_id": first})
    documents = await client.call_tool("list_documents", {})
    bad = {
        "empty question": await client.call_tool("ask", {"question": "   "}),
        "top_k too large": await client.call_tool("search", {"query": "carbon", "top_k": 500}),
        "missing argument": await client.call_tool("get_passage", {}),
        "unknown passage": await client.call_tool("get_passage", {"passage_id": "no-such-passage"}),
        "wrong type": await client.call_tool("search", {"query": ["not", "text"]}),
        "unknown filter field": await client.call_tool("search", {"query": "carbon", "filter": {"colour": ["red"]}}),
    }
    elsewhere = await client.call_tool("search", {"query": "hydropower", "filter": {"doc_id": ["no-such-doc"]}})
    again = await client.call_tool("search", {"query": "hydropower", "top_k": 1})
    return {
        "tools": tools,
        "found": found,
        "asked": asked,
        "passage": passage,
        "first": first,
        "documents": documents,
        "bad": bad,
        "again": again,
        "elsewhere": elsewhere,
    }


def check(seen: dict) -> None:
    assert set(seen["tools"]) == TOOLS
    for tool in seen["tools"].values():
        assert tool.description and tool.input_schema["type"] == "object"
    assert seen["tools"]["ask"].input_schema["required"] == ["question"]
    found, asked = seen["found"], seen["asked"]
    assert not found.is_error and len(found.structured_content["results"]) == 3
    assert any("60%以上" in hit["text"] for hit in found.structured_content["results"])
    answer = asked.structured_content
    assert not asked.is_error and answer["support"] == "stated" and "380 GW" in answer["answer"]["text"]
    assert answer["citations"][0]["translations"], "citations carry their translations"
    assert seen["passage"].structured_content["passage_id"] == seen["first"]
    documents = seen["documents"].structured_content["result"]
    assert documents and all(d["passages"]["zh"] and d["passages"]["en"] for d in documents)
    for name, result in seen["bad"].items():
        assert result.is_error, name
        assert result.content[0].text, name
    assert "no passage" in seen["bad"]["unknown passage"].content[0].text
    assert "colour" in seen["bad"]["unknown filter field"].content[0].text
    assert not seen["elsewhere"].is_error and seen["elsewhere"].structured_content["results"] == []
    assert not seen["again"].is_error, "the server still answers after the bad calls"


def test_the_tools_over_streamable_http(base_url):
    async def run() -> dict:
        async with Client(http_transport(base_url)) as client:
            return await exercise(client)

    check(asyncio.run(run()))


def test_mcp_needs_a_valid_key_when_keys_are_set(base_url):
    async def run() -> None:
        async with Client(http_transport(base_url, key="wrong-key")) as client:
            await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017 (the SDK raises its own wrapper of the 401)
        asyncio.run(run())
    refused = httpx.post(
        f"{base_url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Authorization": "Bearer wrong-key", "Accept": "application/json, text/event-stream"},
    )
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"


def test_the_tools_over_stdio(settings):
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(settings.index_dir),
        "QA_CORPUS_DIR": str(settings.corpus_dir),
        "QA_AUTO_BUILD": "false",
        "PYTHONPATH": os.getcwd(),
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "qa.cli", "mcp"], env=env)

    async def run() -> dict:
        async with Client(params, read_timeout_seconds=300) as client:
            return await exercise(client)

    check(asyncio.run(run()))
