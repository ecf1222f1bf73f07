"""The chat widget embedded on another origin, driving the real server with headless Chromium."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ZH_QUESTION = "全国碳市场覆盖了全国多少碳排放量？"
EN_QUESTION = "How much regular hydropower capacity does China have?"
OFF_TOPIC = "How do I apply for a US visa?"
# A question, then a follow-up that leans on it (from tests/data/followup.jsonl).
FOLLOW_UPS = {
    "zh": ("新型储能装机达到了多少？", "它是2020年的多少倍？"),
    "en": ("What is the installed capacity of new energy storage?", "How does that compare with 2020?"),
}
CHIP_LABEL = re.compile(r"^¶\d+( · \S.*)?$")
CJK = re.compile(r"[\u4e00-\u9fff]")


def aligned_groups(citations: list[dict]) -> int:
    """How many chips the widget should show: a passage and its translations cite once."""
    groups: list[set[str]] = []
    for c in citations:
        ids = {c["passage_id"], *(t["passage_id"] for t in c["translations"])}
        match = next((g for g in groups if g & ids), None)
        if match is None:
            groups.append(ids)
        else:
            match |= ids
    return len(groups)


def test_chinese_question_gets_a_chinese_answer_with_citations(widget, host_site, api, artifacts):
    expected = api.ask(ZH_QUESTION)
    assert expected["answerable"] and expected["answer_lang"] == "zh", expected
    widget.open(host_site.add_page("/", api.url))

    reply = widget.ask(ZH_QUESTION)

    expect(widget.user_messages.last).to_contain_text(ZH_QUESTION)
    answer = reply.locator('[data-role="answer"]')
    expect(answer).to_have_attribute("lang", "zh")
    expect(answer.locator("mark")).to_have_text(expected["answer"]["text"])
    chips = reply.locator('[data-role="citation"]')
    expect(chips).to_have_count(aligned_groups(expected["citations"]))
    visible = chips.evaluate_all("chips => chips.map(c => c.firstChild.textContent)")  # not the sr-only part
    assert all(CHIP_LABEL.match(label) for label in visible), visible
    primary = reply.locator('[data-role="citation"].primary')
    expect(primary).to_have_count(1)
    assert CJK.search(primary.inner_text()), "a Chinese answer cites its Chinese paragraph"
    widget.page.screenshot(path=artifacts / "widget-desktop.png")

    primary.click()
    source = reply.locator('[data-role="source"]')
    passage, translation = source.locator('[data-role="passage"]'), source.locator('[data-role="translation"]')
    expect(passage).to_be_visible()
    expect(translation).to_be_visible()
    expect(passage.locator("mark")).to_have_text(expected["answer"]["text"])
    assert not CJK.search(translation.inner_text().removeprefix("English")), "translation is English"
    left, right = passage.bounding_box(), translation.bounding_box()
    assert right["x"] >= left["x"] + left["width"], "side by side on a desktop"
    widget.page.screenshot(path=artifacts / "widget-desktop-source.png")


def test_english_question_on_a_phone_expands_a_citation(widget, host_site, api, artifacts):
    expected = api.ask(EN_QUESTION)
    assert expected["answerable"] and expected["answer_lang"] == "en", expected
    widget.page.set_viewport_size({"width": 360, "height": 740})
    widget.open(host_site.add_page("/", api.url))

    reply = widget.ask(EN_QUESTION)

    answer = reply.locator('[data-role="answer"]')
    expect(answer).to_have_attribute("lang", "en")
    expect(answer.locator("mark")).to_have_text(expected["answer"]["text"])
    panel = widget.role("panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 360
    assert widget.shadow_eval("root.querySelector('.log').scrollWidth <= root.querySelector('.log').clientWidth")
    widget.page.screenshot(path=artifacts / "widget-phone.png")

    chip = reply.locator('[data-role="citation"]').first
    chip.click()
    expect(chip).to_have_attribute("aria-expanded", "true")
    cited = next(c for c in expected["citations"] if c["passage_id"] == chip.get_attribute("data-passage-id"))
    source = reply.locator('[data-role="source"]')
    passage, translation = source.locator('[data-role="passage"]'), source.locator('[data-role="translation"]')
    expect(passage).to_contain_text(cited["text"][:60])
    expect(translation).to_contain_text(cited["translations"][0]["text"][:30])
    assert passage.bounding_box()["x"] == translation.bounding_box()["x"], "stacked on a phone"
    widget.page.screenshot(path=artifacts / "widget-phone-source.png")

    # Sources in one language only, then both again.
    toggle = widget.role("source-lang")
    zh_column, en_column = source.locator('.col[lang="zh"]'), source.locator('.col[lang="en"]')
    toggle.locator('[data-value="zh"]').click()
    expect(en_column).to_be_hidden()
    expect(zh_column).to_be_visible()
    toggle.locator('[data-value="en"]').click()
    expect(zh_column).to_be_hidden()
    expect(en_column).to_be_visible()
    toggle.locator('[data-value="both"]').click()
    expect(zh_column).to_be_visible()
    chip.click()
    expect(source).to_be_hidden()


def test_question_outside_the_corpus_shows_the_message_and_related_passages(widget, host_site, api):
    expected = api.ask(OFF_TOPIC)
    assert not expected["answerable"], expected
    widget.open(host_site.add_page("/", api.url))

    reply = widget.ask(OFF_TOPIC)

    expect(reply.locator('[data-role="answer"]')).to_have_count(0)
    notice = reply.locator('[data-role="no-answer"]')
    expect(notice).to_have_text(expected.get("message") or re.compile("don't seem to cover"))
    expect(reply.locator(".sources-label")).to_have_text(re.compile("related", re.I))
    expect(reply.locator('[data-role="citation"]')).to_have_count(aligned_groups(expected["citations"]))


def test_history_survives_reload_and_navigation_until_cleared(widget, host_site, api):
    url = host_site.add_page("/", api.url)
    host_site.add_page("/other.html", api.url)
    widget.open(url)
    widget.ask(ZH_QUESTION)

    widget.page.reload()
    expect(widget.role("panel")).to_be_visible()  # the open panel is remembered too
    expect(widget.user_messages).to_have_count(1)
    expect(widget.user_messages).to_contain_text(ZH_QUESTION)
    expect(widget.bot_messages.locator('[data-role="answer"] mark')).to_have_count(1)

    widget.page.click("text=Another page")
    expect(widget.user_messages).to_contain_text(ZH_QUESTION)

    widget.role("clear").click()
    expect(widget.role("message")).to_have_count(0)
    widget.page.reload()
    expect(widget.role("panel")).to_be_visible()
    expect(widget.role("message")).to_have_count(0)


def test_keyboard_language_and_style_isolation(widget, host_site, api):
    page = widget.page
    page.goto(host_site.add_page("/zh.html", api.url, lang="zh-CN"))
    launcher = widget.role("launcher")
    expect(launcher).to_have_attribute("aria-label", "打开问答助手")  # follows <html lang>
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") != "rgb(255, 105, 180)"

    for _ in range(6):  # Tab from the page into the widget
        page.keyboard.press("Tab")
        if widget.shadow_eval("root.activeElement && root.activeElement.dataset.role") == "launcher":
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    page.keyboard.press("Enter")
    expect(widget.role("panel")).to_be_visible()
    expect(widget.role("input")).to_be_focused()
    expect(widget.role("input")).to_have_attribute("placeholder", "输入问题…")
    assert widget.shadow_eval("getComputedStyle(root.querySelector('.welcome')).color") != "rgb(255, 0, 0)"

    page.keyboard.type("第一行")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    expect(widget.role("input")).to_have_value("第一行\nsecond line")
    expect(widget.role("message")).to_have_count(0)  # Shift+Enter did not send

    page.keyboard.press("Escape")
    expect(widget.role("panel")).to_be_hidden()
    expect(launcher).to_be_focused()

    page.goto(host_site.add_page("/zh-en.html", api.url, lang="zh-CN", extra='data-lang="en"'))
    expect(widget.role("launcher")).to_have_attribute("aria-label", "Open the question assistant")


def test_demo_page_works_under_its_content_security_policy(widget, api):
    page = widget.page
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    response = page.goto(api.url + "/?lang=zh")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    widget.role("launcher").click()
    expect(widget.role("input")).to_have_attribute("placeholder", "输入问题…")
    assert widget.role("launcher").evaluate("b => getComputedStyle(b).borderRadius") == "50%"

    reply = widget.ask(ZH_QUESTION)

    expect(reply.locator('[data-role="answer"] mark')).not_to_be_empty()
    assert page.evaluate("window.__csp") == []


def test_server_down_shows_a_friendly_error_and_retry_works(widget, host_site, api):
    widget.open(host_site.add_page("/", api.url))
    api.stop()
    try:
        reply = widget.ask(EN_QUESTION)
        error = reply.locator('[data-role="error"]')
        expect(error).to_contain_text("Can't reach the answer service")
        expect(widget.user_messages.last).to_contain_text(EN_QUESTION)
        expect(widget.role("input")).to_have_value(EN_QUESTION)  # kept for a retry
    finally:
        api.start()

    widget.role("retry").click()
    expect(widget.bot_messages.locator('[data-role="answer"]')).to_have_count(1, timeout=widget.ASK_TIMEOUT_MS)
    expect(widget.role("error")).to_have_count(0)
    expect(widget.user_messages).to_have_count(1)  # the retry did not repeat the question
    expect(widget.role("input")).to_have_value("")


def ask_bodies(page) -> list[dict]:
    """The JSON bodies the page POSTs to /v1/ask, in order, as they are sent."""
    bodies: list[dict] = []
    page.on(
        "request",
        lambda r: bodies.append(json.loads(r.post_data)) if r.method == "POST" and r.url.endswith("/v1/ask") else None,
    )
    return bodies


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_follow_up_is_sent_with_the_conversation_and_clear_starts_a_new_one(widget, host_site, api, artifacts, lang):
    first, follow_up = FOLLOW_UPS[lang]
    expected = api.ask(follow_up, history=[first])
    alone = api.ask(follow_up)
    # The follow-up is found through the conversation; whether the paper states its answer
    # (support stated) or only the closest sentence (related) is the answer model's call.
    assert expected["support"] in ("stated", "related"), expected
    quote = expected["answer"] or expected["closest"]
    assert expected["citations"][0]["passage_id"] != alone["citations"][0]["passage_id"], (
        "a follow-up the conversation changes"
    )
    bodies = ask_bodies(widget.page)
    widget.open(host_site.add_page(f"/follow-{lang}.html", api.url, lang=lang))

    widget.ask(first)
    reply = widget.ask(follow_up)

    assert bodies == [{"question": first}, {"question": follow_up, "history": [first]}]
    if expected["support"] == "stated":
        expect(reply.locator('[data-role="answer"] mark')).to_have_text(quote["text"])
        primary = reply.locator('[data-role="citation"].primary')
        expect(primary).to_have_attribute("data-passage-id", quote["passage_id"])
    else:
        expect(reply.locator('[data-role="closest"]')).to_contain_text(quote["text"])
        primary = reply.locator('[data-role="citation"]').first
    primary.click()
    expect(reply.locator('[data-role="source"]')).to_be_visible()
    widget.page.screenshot(path=artifacts / f"widget-followup-{lang}.png")

    widget.role("clear").click()
    expect(widget.role("message")).to_have_count(0)
    expect(widget.role("announcer")).not_to_be_empty()  # "conversation cleared", for screen readers
    widget.ask(follow_up)
    assert bodies[-1] == {"question": follow_up}, "after clearing, nothing earlier is sent"


def test_history_holds_the_last_five_questions_and_a_reply_to_a_cleared_conversation_is_dropped(widget, host_site, api):
    page = widget.page
    bodies = ask_bodies(page)
    widget.open(host_site.add_page("/five.html", api.url))
    questions = [f"Question {n} about carbon neutrality?" for n in range(1, 8)]
    for question in questions:
        widget.ask(question)
    assert bodies[-1] == {"question": questions[-1], "history": questions[-6:-1]}

    # The next reply is held back in the page until the conversation has been cleared.
    page.evaluate("""() => {
        const realFetch = window.fetch;
        window.fetch = (...args) => realFetch(...args).then((response) => new Promise((resolve) => {
            window.fetch = realFetch;
            window.__releaseReply = () => resolve(response);
        }));
    }""")
    widget.role("input").fill(EN_QUESTION)
    widget.role("input").press("Enter")
    page.wait_for_function("typeof window.__releaseReply === 'function'")
    widget.role("clear").click()
    page.evaluate("window.__releaseReply()")
    reply = widget.ask(ZH_QUESTION)  # the new conversation's first turn

    expect(widget.user_messages).to_have_count(1)
    expect(widget.bot_messages).to_have_count(1)
    expect(reply.locator('[data-role="answer"]')).to_have_attribute("lang", "zh")
    assert bodies[-1] == {"question": ZH_QUESTION}


def test_a_starter_question_asks_the_server_which_answers_json_to_a_stream_request(widget, host_site, api, artifacts):
    expected = api.ask(EN_QUESTION)
    asks = []
    widget.page.on("request", lambda r: asks.append(r) if r.url.endswith("/v1/ask") else None)
    starters = json.dumps({"zh": [ZH_QUESTION], "en": [EN_QUESTION]}, ensure_ascii=False)
    widget.open(host_site.add_page("/starters.html", api.url, extra=f"data-starter-questions='{starters}'"))
    starter = widget.role("starter")
    expect(starter).to_have_text([EN_QUESTION])
    widget.page.screenshot(path=artifacts / "widget-starters.png")

    starter.click()

    expect(widget.bot_messages).to_have_count(1, timeout=widget.ASK_TIMEOUT_MS)
    reply = widget.bot_messages.first
    expect(reply.locator('[data-role="answer"] mark')).to_have_text(expected["answer"]["text"])
    expect(reply.locator("[data-support]")).to_have_attribute("data-support", "stated")
    assert asks[0].headers["accept"] == "text/event-stream"  # asked for a stream, read the JSON it got


def test_no_starter_questions_when_the_server_lists_none(widget, host_site, api):
    page = widget.page
    with page.expect_response(lambda r: r.url.endswith("/v1/collections")) as listed:
        widget.open(host_site.add_page("/no-starters.html", api.url))
    listed_default = {c["name"]: c for c in listed.value.json()["collections"]}["default"]
    assert not listed_default.get("starter_questions"), "the demo corpus lists no starter questions"
    expect(page.locator("qa-chat .welcome")).to_be_visible()
    expect(widget.role("starter")).to_have_count(0)
