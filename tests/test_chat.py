"""POST /v1/chat/completions and GET /v1/models, driven by the official `openai` client against a
real server on 127.0.0.1: cited answers in both languages, streamed and not, a follow-up, bad
input and a bad key in OpenAI's error shape."""

from __future__ import annotations

import re

import httpx
import openai
import pytest
from _apps import app_with
from _live import live_server

KEY = "chat-test-key"


@pytest.fixture(scope="module")
def base_url(settings, service):
    with live_server(app_with(settings, service, api_keys=[KEY])) as url:
        yield url


@pytest.fixture(scope="module")
def llm(base_url):
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key=KEY, max_retries=0)


def marks(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def test_models_lists_the_default_model(llm):
    assert [m.id for m in llm.models.list()] == ["qa"]
    assert llm.models.retrieve("qa").owned_by == "qa"


def test_a_chinese_question_gets_a_cited_chinese_answer(llm):
    completion = llm.chat.completions.create(
        model="qa", messages=[{"role": "user", "content": "全国碳市场覆盖了全国多少碳排放量？"}]
    )
    text = completion.choices[0].message.content
    qa = completion.qa  # the extra field, kept by the client's models
    assert qa["support"] == "stated" and qa["answerable"] and qa["answer_lang"] == "zh"
    assert "60%以上" in text and "来源" in text
    cited = marks(text.split("来源")[0])
    assert cited and cited <= {c["rank"] for c in qa["citations"]}
    first = next(c for c in qa["citations"] if c["rank"] == min(cited))
    assert first["passage_id"] == qa["answer"]["passage_id"]
    assert first["translations"][0]["lang"] == "en"
    assert all(f"[{c['rank']}] {c['citation']['label']}" in text for c in qa["citations"])


def test_an_english_question_streams_chunks_then_done(llm):
    stream = llm.chat.completions.create(
        model="qa",
        stream=True,
        messages=[
            {"role": "system", "content": "Answer briefly."},
            {
                "role": "user",
                "content": [{"type": "text", "text": "How much regular hydropower capacity does China have?"}],
            },
        ],
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert {c.id for c in chunks} == {chunks[0].id} and chunks[0].object == "chat.completion.chunk"
    assert "380 GW" in text and "Sources:" in text and marks(text)
    assert chunks[-1].qa["support"] == "stated"


def test_the_stream_ends_with_done(base_url):
    body = {"model": "qa", "stream": True, "messages": [{"role": "user", "content": "What is 1+N?"}]}
    with httpx.stream(
        "POST", f"{base_url}/v1/chat/completions", json=body, timeout=60, headers={"Authorization": f"Bearer {KEY}"}
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        data = [line for line in response.iter_lines() if line.startswith("data:")]
    assert data[-1] == "data: [DONE]"


def test_a_question_the_documents_do_not_cover_is_declined_honestly(llm):
    completion = llm.chat.completions.create(
        model="qa", messages=[{"role": "user", "content": "What is the boiling point of mercury?"}]
    )
    text = completion.choices[0].message.content
    assert completion.qa["support"] == "none" and completion.qa["answer"] is None
    assert text.startswith(completion.qa["message"])


def test_a_follow_up_is_read_in_the_light_of_the_conversation(llm, base_url):
    first = "全国碳排放权交易市场是哪一年启动的？"
    follow_up = "目前纳入了哪些行业？"
    alone = llm.chat.completions.create(model="qa", messages=[{"role": "user", "content": follow_up}])
    reply = llm.chat.completions.create(
        model="qa",
        messages=[
            {"role": "user", "content": first},
            {"role": "assistant", "content": "2021年7月。"},
            {"role": "user", "content": follow_up},
        ],
    )
    assert reply.qa["question"] == follow_up
    ids = [c["passage_id"] for c in reply.qa["citations"]]
    assert ids != [c["passage_id"] for c in alone.qa["citations"]], "the earlier question steered the search"
    asked = httpx.post(
        f"{base_url}/v1/ask",
        json={"question": follow_up, "history": [first], "top_k": 3},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=60,
    ).json()
    assert [c["passage_id"] for c in asked["citations"]] == ids, "the chat asks as /v1/ask with that history"
    assert asked["answer"] == reply.qa["answer"]


@pytest.mark.parametrize(
    "body, code",
    [
        ({"model": "qa", "messages": []}, "invalid_value"),
        ({"model": "qa"}, "missing_field"),
        ({"model": "qa", "messages": [{"role": "system", "content": "Be brief."}]}, "no_user_message"),
        ({"model": "qa", "messages": [{"role": "user", "content": "   "}]}, "invalid_question"),
        (
            {
                "model": "qa",
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}],
                    }
                ],
            },
            "unsupported_content",
        ),
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "碳达峰"}]}, "model_not_found"),
        ({"model": "qa", "messages": [{"role": "robot", "content": "hi"}]}, "invalid_value"),
    ],
)
def test_bad_requests_get_openai_style_4xx(base_url, body, code):
    response = httpx.post(
        f"{base_url}/v1/chat/completions", json=body, timeout=60, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["type"] == "invalid_request_error"
    assert "param" in error


def test_the_openai_client_raises_its_own_errors(llm, base_url):
    with pytest.raises(openai.NotFoundError) as missing:
        llm.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "碳达峰"}])
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError):
        llm.chat.completions.create(model="qa", messages=[])
    stranger = openai.OpenAI(base_url=f"{base_url}/v1", api_key="not-a-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        stranger.chat.completions.create(model="qa", messages=[{"role": "user", "content": "碳达峰"}])
    with pytest.raises(openai.AuthenticationError):
        stranger.models.list()
