"""Contract tests: the widget against this round's API fields, answered in the browser.

The server side (support levels, closest, answer ids, script conversion, feedback, collections,
streaming) is built in parallel elsewhere, so these tests answer the widget's requests with
contract-shaped bodies (tests/browser/contract.py) and check what it shows and what it sends.
Behaviour against the real server is in test_widget.py.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from qa.bench.stats import free_port
from qa.text.script import to_traditional
from tests.browser.conftest import run_axe
from tests.browser.contract import (
    CONTRACT_PAGE,
    EN_CAPACITY,
    WIDGET_DIR,
    ZH_CAPACITY,
    ContractApi,
    Reply,
    capacity_hits,
    converted_zh_hant,
    json_reply,
    related,
    sse,
    stated_en,
)

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
UI_PAGES = {"en": "en", "zh": "zh-CN", "zh-Hant": "zh-TW"}
LAUNCHER_LABELS = {"en": "Open the question assistant", "zh": "打开问答助手", "zh-Hant": "開啟問答助手"}
RELATED_LEADS = {
    "en": "The documents don't state this; the closest they say is:",
    "zh": "文档未说明这一点，最接近的内容是：",
    "zh-Hant": "文件未說明這一點，最接近的內容是：",
}
FEEDBACK_LABELS = {"en": ("Helpful", "Not helpful"), "zh": ("有帮助", "没有帮助"), "zh-Hant": ("有幫助", "沒有幫助")}


@pytest.fixture
def contract(page) -> ContractApi:
    return ContractApi(page)


def eventually(page, check, timeout_ms: int = 15_000) -> None:
    """Wait (bounded) until `check()` holds; the routes run while the page waits."""
    for _ in range(timeout_ms // 50):
        if check():
            return
        page.wait_for_timeout(50)
    assert check()


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING]


def test_contract_stated_answer_is_highlighted_and_rated_up(widget, contract, artifacts):
    contract.asks.append(json_reply(stated_en()))
    widget.open(contract.add_page("/stated.html", extra='data-key="site-key"'))

    reply = widget.ask("What is China's installed wind and solar capacity?")

    bubble = reply.locator("[data-support]")
    expect(bubble).to_have_attribute("data-support", "stated")
    expect(reply.locator('[data-role="answer"] mark')).to_have_text(stated_en()["answer"]["text"])
    expect(reply.locator('[data-role="closest"]')).to_have_count(0)
    expect(reply.locator('[data-role="support"]')).to_have_count(0)
    expect(reply.locator('[data-role="show-original"]')).to_have_count(0)  # nothing was converted
    up, down = reply.locator('[data-role="feedback-up"]'), reply.locator('[data-role="feedback-down"]')
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(up).to_have_accessible_name("Helpful")

    up.focus()
    widget.page.keyboard.press("Enter")

    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(reply.locator(".fb-status")).to_have_text("Thank you for your feedback.")
    [sent] = contract.sent("/v1/feedback")
    assert sent["json"] == {"answer_id": "ans-stated", "rating": "up"}
    assert sent["headers"]["x-api-key"] == "site-key"  # the same key as the asks
    assert contract.sent("/v1/ask")[0]["headers"]["x-api-key"] == "site-key"
    widget.page.screenshot(path=artifacts / "contract-stated-rated.png")

    widget.page.reload()  # the rating is remembered with the conversation
    expect(widget.bot_messages.first.locator('[data-role="feedback-up"]')).to_have_attribute("aria-pressed", "true")


@pytest.mark.parametrize("ui", list(UI_PAGES))
def test_contract_related_is_set_apart_from_an_answer(widget, contract, axe_source, artifacts, ui):
    data = related("en" if ui == "en" else "zh")
    contract.asks.append(json_reply(data))
    widget.open(contract.add_page(f"/related-{ui}.html", lang=UI_PAGES[ui]))

    reply = widget.ask(data["question"])

    expect(reply.locator("[data-support]")).to_have_attribute("data-support", "related")
    expect(reply.locator('[data-role="answer"]')).to_have_count(0)  # never shown as an answer
    expect(reply.locator("mark")).to_have_count(0)
    expect(reply.locator('[data-role="support"]')).to_have_text(RELATED_LEADS[ui])
    closest = reply.locator('[data-role="closest"]')
    expect(closest).to_be_visible()
    expect(closest.locator(".near")).to_have_text(data["closest"]["text"])
    assert closest.evaluate("n => n.tagName") == "BLOCKQUOTE"
    # Styled apart from a highlighted answer: no highlight colour behind the closest sentence.
    assert closest.locator(".near").evaluate("n => getComputedStyle(n).backgroundColor") == "rgba(0, 0, 0, 0)"
    expect(reply.locator(".sources-label")).to_have_text(re.compile("related|相关|相關", re.I))
    chip = reply.locator('[data-role="citation"].closest-source')
    expect(chip).to_have_attribute("data-passage-id", data["closest"]["passage_id"])
    chip.click()
    expect(reply.locator('[data-role="source"] .near')).to_have_text(data["closest"]["text"])
    # Announced: the reply is inside the log's live region, and the lead says what it is.
    assert widget.shadow_eval("root.querySelector('[data-role=log]').getAttribute('aria-live')") == "polite"
    widget.page.screenshot(path=artifacts / f"contract-related-{ui}.png")

    violations = run_axe(widget.page, axe_source)
    (artifacts / f"axe-contract-related-{ui}.json").write_text(json.dumps(violations, indent=1, ensure_ascii=False))
    assert not blocking(violations), json.dumps(violations, indent=1, ensure_ascii=False)


def test_contract_related_uses_the_servers_message(widget, contract):
    message = "The documents don't say how many electric cars China exported in 2024."
    contract.asks.append(json_reply(related("en", message=message)))
    widget.open(contract.add_page("/related-message.html"))

    reply = widget.ask("How many electric cars did China export in 2024?")

    expect(reply.locator('[data-role="support"]')).to_have_text(message)
    expect(reply.locator(".closest-label")).to_have_text("The closest they say is:")
    expect(reply.locator('[data-role="closest"]')).to_contain_text("40 percent of new car sales")


def test_contract_each_level_and_todays_fields_fall_back_honestly(widget, contract):
    """`support` wins over `answerable`; a level whose quote is missing is shown as not covered."""
    stated = stated_en()
    legacy = {k: v for k, v in stated.items() if k not in ("support", "closest", "question_script", "answer_id")}
    cases = [
        ("today's answerable", legacy, "stated"),
        ("today's not answerable", {**legacy, "answerable": False, "answer": None, "message": None}, "none"),
        (
            "none",
            {**stated, "support": "none", "answerable": False, "answer": None, "message": "Not covered here."},
            "none",
        ),
        ("related without a closest", {**related("en"), "closest": None}, "none"),
        ("stated without an answer", {**stated, "answer": None}, "none"),
    ]
    widget.open(contract.add_page("/levels.html"))
    for name, body, level in cases:
        contract.asks.append(json_reply(body))
        reply = widget.ask(f"Question: {name}?")
        expect(reply.locator("[data-support]")).to_have_attribute("data-support", level)
        expect(reply.locator('[data-role="answer"]')).to_have_count(1 if level == "stated" else 0)
        if level == "none":
            expect(reply.locator('[data-role="no-answer"]')).to_have_text(
                body.get("message") or re.compile("don't seem to cover")
            )
        feedback = reply.locator('[data-role="feedback-up"]')
        expect(feedback).to_have_count(1 if "answer_id" in body else 0)


def test_contract_traditional_page_shows_converted_text_and_the_original(widget, contract, axe_source, artifacts):
    data = converted_zh_hant()
    contract.asks.append(json_reply(data))
    widget.page.goto(contract.add_page("/hant.html", lang="zh-TW"))
    expect(widget.role("launcher")).to_have_attribute("aria-label", LAUNCHER_LABELS["zh-Hant"])
    widget.role("launcher").click()
    expect(widget.role("input")).to_have_attribute("placeholder", "輸入問題…")

    reply = widget.ask(data["question"])

    answer = reply.locator('[data-role="answer"]')
    expect(answer.locator("mark")).to_have_text(data["answer"]["text_converted"])
    expect(answer).to_have_attribute("lang", "zh-Hant")
    expect(answer).to_contain_text(to_traditional("非化石能源发电装机占比超过一半"))  # context converted too
    toggle = reply.locator('[data-role="show-original"]')
    expect(toggle).to_have_text("顯示原文")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(reply.locator(".converted-note")).to_have_text("已轉換為繁體字顯示。")
    chip = reply.locator('[data-role="citation"].primary')
    chip.click()
    passage = reply.locator('[data-role="passage"]')
    expect(passage.locator("mark")).to_have_text(data["answer"]["text_converted"])
    expect(passage.locator("p")).to_have_attribute("lang", "zh-Hant")
    widget.page.screenshot(path=artifacts / "contract-converted-zh-Hant.png")
    violations = run_axe(widget.page, axe_source)
    (artifacts / "axe-contract-converted-zh-Hant.json").write_text(json.dumps(violations, indent=1, ensure_ascii=False))
    assert not blocking(violations), json.dumps(violations, indent=1, ensure_ascii=False)

    toggle.click()  # the source's own text, with its offsets

    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(answer.locator("mark")).to_have_text(data["answer"]["text"])
    expect(answer).to_have_attribute("lang", "zh")
    expect(passage).to_contain_text(ZH_CAPACITY)
    expect(passage.locator("mark")).to_have_text(data["answer"]["text"])
    expect(reply.locator(".converted-note")).to_be_hidden()

    toggle.click()  # and back
    expect(answer.locator("mark")).to_have_text(data["answer"]["text_converted"])


def test_contract_converted_quote_without_a_converted_passage_is_shown_alone(widget, contract):
    data = converted_zh_hant()
    for c in data["citations"]:
        c.pop("text_converted", None)
    contract.asks.append(json_reply(data))
    widget.open(contract.add_page("/hant-alone.html", lang="zh-HK"))

    reply = widget.ask(data["question"])

    answer = reply.locator('[data-role="answer"]')
    expect(answer).to_have_text(data["answer"]["text_converted"])  # no Simplified context around it
    reply.locator('[data-role="show-original"]').click()
    expect(answer.locator("mark")).to_have_text(data["answer"]["text"])


@pytest.mark.parametrize("ui", list(UI_PAGES))
def test_contract_thumbs_down_offers_reasons_and_a_comment(widget, contract, axe_source, artifacts, ui):
    contract.asks.append(json_reply(stated_en(answer_id=f"ans-{ui}")))
    widget.open(contract.add_page(f"/down-{ui}.html", lang=UI_PAGES[ui]))
    reply = widget.ask("What is China's installed wind and solar capacity?")
    up, down = reply.locator('[data-role="feedback-up"]'), reply.locator('[data-role="feedback-down"]')
    expect(up).to_have_accessible_name(FEEDBACK_LABELS[ui][0])
    expect(down).to_have_accessible_name(FEEDBACK_LABELS[ui][1])

    down.focus()
    widget.page.keyboard.press("Space")

    expect(down).to_have_attribute("aria-pressed", "true")
    reasons = reply.locator('[data-role="feedback-reason"]')
    expect(reasons).to_have_count(4)
    assert reasons.evaluate_all("r => r.map(x => x.value)") == ["wrong", "not_relevant", "outdated", "other"]
    expect(reasons.first).to_be_focused()
    eventually(
        widget.page,
        lambda: [r["json"] for r in contract.sent("/v1/feedback")] == [{"answer_id": f"ans-{ui}", "rating": "down"}],
    )
    widget.page.screenshot(path=artifacts / f"contract-feedback-open-{ui}.png")
    violations = run_axe(widget.page, axe_source)
    (artifacts / f"axe-contract-feedback-{ui}.json").write_text(json.dumps(violations, indent=1, ensure_ascii=False))
    assert not blocking(violations), json.dumps(violations, indent=1, ensure_ascii=False)

    widget.page.keyboard.press("ArrowDown")  # radio group: arrows choose
    expect(reasons.nth(1)).to_be_checked()
    comment = reply.locator('[data-role="feedback-comment"]')
    expect(comment).to_have_attribute("maxlength", "1000")
    comment.fill("It gives the capacity, I asked about output. " * 30)  # over 1000: the box stops it
    reply.locator('[data-role="feedback-send"]').click()

    expect(reply.locator('[data-role="feedback-form"]')).to_be_hidden()
    expect(down).to_be_focused()
    last = contract.sent("/v1/feedback")[-1]["json"]
    assert last["answer_id"] == f"ans-{ui}" and last["rating"] == "down" and last["reason"] == "not_relevant"
    assert last["comment"].startswith("It gives the capacity") and len(last["comment"]) <= 1000
    expect(reply.locator(".fb-status")).not_to_be_empty()


@pytest.mark.parametrize(("status", "expected"), [(500, "couldn't be sent"), (404, "no longer be rated")])
def test_contract_feedback_failure_is_polite_and_the_chat_goes_on(widget, contract, status, expected):
    contract.feedback = json_reply({"error": {"code": "x", "message": "nope"}}, status)
    contract.asks += [json_reply(stated_en()), json_reply(related("en"))]
    widget.open(contract.add_page("/feedback-fails.html"))
    reply = widget.ask("What is China's installed wind and solar capacity?")

    reply.locator('[data-role="feedback-up"]').click()

    status_line = reply.locator(".fb-status")
    expect(status_line).to_contain_text(expected)
    expect(status_line).to_have_attribute("role", "status")
    expect(reply.locator('[data-role="feedback-up"]')).to_have_attribute("aria-pressed", "false")  # not recorded
    expect(widget.role("error")).to_have_count(0)
    next_reply = widget.ask("How many electric cars did China export in 2024?")
    expect(next_reply.locator('[data-role="closest"]')).to_be_visible()


def test_contract_starter_questions_from_the_script_tag(widget, contract, artifacts):
    starters = {"zh": ["中国的风电装机容量是多少？", "碳市场覆盖哪些行业？"], "en": ["What is the carbon market?"]}
    extra = "data-starter-questions='" + json.dumps(starters, ensure_ascii=False) + "'"
    contract.asks.append(json_reply(related("zh")))
    widget.open(contract.add_page("/starters.html", lang="zh-CN", extra=extra))

    buttons = widget.role("starter")
    expect(buttons).to_have_text(starters["zh"])
    widget.page.screenshot(path=artifacts / "contract-starters-zh.png")
    assert contract.sent("/v1/collections") == []  # the tag overrides the server's list
    buttons.nth(1).click()

    expect(widget.user_messages).to_have_text([f"你: {starters['zh'][1]}"])
    expect(widget.bot_messages).to_have_count(1)
    assert contract.sent("/v1/ask")[0]["json"] == {"question": starters["zh"][1]}
    expect(widget.role("starter")).to_have_count(0)  # only before the first question
    expect(widget.role("input")).to_be_focused()

    widget.role("clear").click()  # a new conversation offers them again
    expect(widget.role("starter")).to_have_count(2)


def test_contract_starter_questions_as_a_plain_list(widget, contract):
    extra = """data-starter-questions='["What is the carbon market?", "碳市场覆盖哪些行业？"]'"""
    widget.open(contract.add_page("/starters-list.html", extra=extra))
    expect(widget.role("starter")).to_have_text(["What is the carbon market?", "碳市场覆盖哪些行业？"])


@pytest.mark.parametrize(
    ("ui", "expected"), [("en", ["How is the carbon market run?"]), ("zh-Hant", ["碳市場如何運作？"])]
)
def test_contract_starter_questions_from_the_collection(widget, contract, ui, expected):
    contract.collections = json_reply(
        {
            "items": [
                {"name": "other", "starter_questions": {"en": ["Not this one"]}},
                {
                    "name": "default",
                    "starter_questions": {
                        "zh": ["碳市场如何运作？"],
                        "zh-Hant": ["碳市場如何運作？"],
                        "en": ["How is the carbon market run?"],
                    },
                },
            ]
        }
    )
    widget.open(contract.add_page(f"/collection-{ui}.html", lang=UI_PAGES[ui], extra='data-key="k"'))
    expect(widget.role("starter")).to_have_text(expected)
    assert contract.sent("/v1/collections")[0]["headers"]["x-api-key"] == "k"


def test_contract_no_starter_questions_when_the_server_has_none(widget, contract):
    widget.open(contract.add_page("/no-collections.html"))  # GET /v1/collections → 404, as today
    eventually(widget.page, lambda: len(contract.sent("/v1/collections")) == 1)
    expect(widget.page.locator("qa-chat .welcome")).to_be_visible()
    expect(widget.role("starter")).to_have_count(0)


def test_contract_streamed_answer_renders_like_json(widget, contract):
    data = stated_en()
    contract.asks.append(
        Reply(
            200, sse(("passages", {"passages": data["citations"]}), ("answer", data), ("done", {})), "text/event-stream"
        )
    )
    widget.open(contract.add_page("/sse.html"))

    reply = widget.ask(data["question"])

    expect(reply.locator('[data-role="answer"] mark')).to_have_text(data["answer"]["text"])
    expect(reply.locator('[data-role="citation"]')).to_have_count(2)
    expect(reply.locator('[data-role="feedback-up"]')).to_be_visible()
    assert contract.sent("/v1/ask")[0]["headers"]["accept"] == "text/event-stream"


def test_contract_stream_error_event_is_shown_as_an_error_with_retry(widget, contract):
    contract.asks += [
        Reply(
            200,
            sse(
                ("passages", {"passages": capacity_hits("en")}),
                ("error", {"error": {"code": "answer_failed", "message": "the answer step failed"}}),
            ),
            "text/event-stream",
        ),
        Reply(200, sse(("passages", {"passages": capacity_hits("en")})), "text/event-stream"),  # cut off
        json_reply(stated_en()),
    ]
    widget.open(contract.add_page("/sse-error.html"))

    reply = widget.ask("What is China's installed wind and solar capacity?")
    expect(reply.locator('[data-role="error"]')).to_contain_text("the answer step failed")
    widget.role("retry").click()
    expect(widget.role("error")).to_contain_text("cut off")
    widget.role("retry").click()
    expect(widget.bot_messages.locator('[data-role="answer"]')).to_have_count(1)
    expect(widget.role("error")).to_have_count(0)


class HeldStream:
    """A real HTTP origin whose /v1/ask streams `passages` at once and the answer only when
    released: the sources must be on screen before the answer exists."""

    def __init__(self, answer: dict):
        self.release = threading.Event()
        held = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                path = self.path.split("?")[0]
                if path in ("/widget.js", "/widget.css"):
                    kind = "text/javascript" if path.endswith(".js") else "text/css"
                    self._send(200, kind, (WIDGET_DIR / path.lstrip("/")).read_bytes())
                elif path == "/page.html":
                    self._send(200, "text/html", CONTRACT_PAGE.format(lang="en", origin=held.origin, extra="").encode())
                else:
                    self._send(404, "application/json", b'{"error": {"code": "not_found", "message": "no"}}')

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(sse(("passages", {"passages": answer["citations"]})).encode())
                self.wfile.flush()
                held.release.wait(timeout=30)
                self.wfile.write(sse(("answer", answer), ("done", {})).encode())

            def _send(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_contract_streamed_sources_appear_before_the_answer(widget, artifacts):
    data = stated_en()
    held = HeldStream(data)
    try:
        widget.open(f"{held.origin}/page.html")
        widget.role("input").fill(data["question"])
        widget.role("input").press("Enter")

        pending = widget.role("typing")
        expect(pending.locator('[data-role="citation"]')).to_have_count(2)  # sources, no answer yet
        expect(widget.bot_messages).to_have_count(0)
        assert pending.locator(".early").get_attribute("aria-busy") == "true"  # read once complete
        pending.locator('[data-role="citation"]').first.click()
        expect(pending.locator('[data-role="passage"]')).to_contain_text(EN_CAPACITY[:40])
        widget.page.screenshot(path=artifacts / "contract-stream-sources-first.png")

        held.release.set()

        expect(widget.bot_messages).to_have_count(1)
        expect(widget.role("typing")).to_have_count(0)
        expect(widget.bot_messages.first.locator('[data-role="answer"] mark')).to_have_text(data["answer"]["text"])
        expect(widget.bot_messages.first.locator(".sources-label")).to_have_text("Sources")
    finally:
        held.close()


def test_contract_related_in_traditional_on_a_phone(widget, contract, axe_source, artifacts):
    """A Traditional question the documents only touch: the closest quote converted, set apart."""
    data = related("zh", message="文件未說明2024年中國出口電動汽車的數量。")
    data["question"], data["question_script"] = "2024年中國出口了多少輛電動汽車？", "zh-Hant"
    data["closest"]["text_converted"] = to_traditional(data["closest"]["text"])
    contract.asks.append(json_reply(data))
    widget.page.set_viewport_size({"width": 360, "height": 740})
    widget.open(contract.add_page("/related-phone.html", lang="zh-HK"))

    reply = widget.ask(data["question"])

    closest = reply.locator('[data-role="closest"]')
    expect(closest.locator(".near")).to_have_text(data["closest"]["text_converted"])
    expect(closest).to_have_attribute("lang", "zh-Hant")
    expect(reply.locator('[data-role="support"]')).to_have_text(data["message"])
    expect(reply.locator(".closest-label")).to_have_text("最接近的內容是：")
    assert widget.shadow_eval("root.querySelector('.log').scrollWidth <= root.querySelector('.log').clientWidth")
    widget.page.screenshot(path=artifacts / "contract-related-zh-Hant-phone.png")
    violations = run_axe(widget.page, axe_source)
    (artifacts / "axe-contract-related-zh-Hant-phone.json").write_text(
        json.dumps(violations, indent=1, ensure_ascii=False)
    )
    assert not blocking(violations), json.dumps(violations, indent=1, ensure_ascii=False)

    reply.locator('[data-role="show-original"]').click()
    expect(closest.locator(".near")).to_have_text(data["closest"]["text"])


def test_contract_starter_question_by_keyboard(widget, contract):
    contract.asks.append(json_reply(stated_en()))
    widget.open(
        contract.add_page("/starters-keys.html", extra="""data-starter-questions='["What is the capacity?"]'""")
    )
    starter = widget.role("starter")
    expect(starter).to_have_count(1)
    starter.focus()
    widget.page.keyboard.press("Enter")
    expect(widget.bot_messages).to_have_count(1)
    assert contract.sent("/v1/ask")[0]["json"] == {"question": "What is the capacity?"}
