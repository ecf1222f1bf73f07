"""`qa ask` and `qa chat`, on the local index and with --url against a real server."""

from __future__ import annotations

import json

import pytest
from _apps import app_with
from _live import live_server
from click.testing import CliRunner

import qa.service
from qa.cli import cli

KEY = "cli-test-key"


@pytest.fixture
def local(monkeypatch, cli_env, settings, service):
    """The CLI's local mode on the session's index (its loaded service, not a second model)."""
    cli_env(settings.corpus_dir, settings.index_dir)
    monkeypatch.setattr(qa.service, "open_service", lambda settings, progress=True: service)


@pytest.fixture(scope="module")
def base_url(settings, service):
    with live_server(app_with(settings, service, api_keys=[KEY], access_log=False)) as url:
        yield url


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_ask_prints_the_answer_support_and_citations_with_translations(local):
    result = run("ask", "全国碳市场覆盖了全国多少碳排放量？")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "60%以上" in lines[0]
    assert lines[1].startswith("support: stated · confidence 0.")
    assert "[1] " in result.output and "    ↳ " in result.output  # a citation and its translation


def test_ask_declines_honestly(local):
    result = run("ask", "What is the boiling point of mercury?")
    assert result.exit_code == 0
    assert result.output.startswith("Sorry") and "support: none" in result.output


def test_ask_json_is_the_apis_shape(local, client):
    result = run("ask", "How much regular hydropower capacity does China have?", "--json", "-k", "2")
    data = json.loads(result.output)
    api = client.post(
        "/v1/ask", json={"question": "How much regular hydropower capacity does China have?", "top_k": 2}
    ).json()
    assert data.keys() == api.keys() and data["answer"] == api["answer"] and len(data["citations"]) == 2


def test_ask_refuses_an_empty_question(local):
    result = run("ask", "  ")
    assert result.exit_code == 1 and "empty" in result.output


def test_chat_keeps_the_conversation(local, client):
    first, follow_up = "全国碳排放权交易市场是哪一年启动的？", "目前纳入了哪些行业？"
    result = run("chat", "-k", "3", stdin=f"{first}\n{follow_up}\n/new\n{follow_up}\n")
    assert result.exit_code == 0, result.output
    answers = [block for block in result.output.split("support: ")[1:]]
    assert len(answers) == 3
    in_context = client.post("/v1/ask", json={"question": follow_up, "history": [first], "top_k": 3}).json()
    alone = client.post("/v1/ask", json={"question": follow_up, "top_k": 3}).json()
    assert in_context["citations"][1]["citation"]["label"] in answers[1]
    assert alone["citations"][1]["citation"]["label"] in answers[2], "/new forgets the conversation"


def test_url_mode_asks_a_remote_server_with_the_key(base_url, monkeypatch, cli_env, settings):
    cli_env(settings.corpus_dir, settings.index_dir)
    monkeypatch.setenv("QA_API_KEY", KEY)
    result = run("ask", "How much regular hydropower capacity does China have?", "--url", base_url)
    assert result.exit_code == 0, result.output
    assert "380 GW" in " ".join(result.output.split("support: ")[0].split())  # wrapped lines joined
    chat = run("chat", "--url", base_url, stdin="碳达峰\n/quit\n")
    assert chat.exit_code == 0 and "support: " in chat.output
    monkeypatch.setenv("QA_API_KEY", "wrong")
    from qa.settings import get_settings

    get_settings.cache_clear()
    refused = run("ask", "碳达峰", "--url", base_url)
    assert refused.exit_code == 1 and "invalid_api_key" in refused.output
