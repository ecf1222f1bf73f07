"""Markup in the corpus or in a question is shown as text and never runs; a 429 reads as a wait.

A second server instance serves a tiny interleaved zh/en document whose title, headings and
paragraphs hold <img onerror>, <script>, <b> and <i>. It also requires widget keys and limits
each key to a small burst, so the widget's data-key and its rate-limit message run for real.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HOSTILE_MARKUP = '<img src=x onerror="window.__qaPwned=1">'


def shadow_elements(widget, selector: str) -> int:
    return widget.shadow_eval(f"root.querySelectorAll({selector!r}).length")


def test_markup_from_corpus_and_question_renders_as_text(widget, host_site, hostile_server):
    page = widget.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    url = host_site.add_page("/hostile.html", hostile_server.url, lang="zh-CN", extra='data-key="hostile-key"')
    widget.open(url)
    expect(widget.role("panel").locator(".sub")).to_have_text("风电测试文档<b>粗体</b>")

    reply = widget.ask("全国风电装机容量达到多少？")
    question = f"{HOSTILE_MARKUP}<script>window.__qaPwned=3</script> wind power capacity?"
    widget.ask(question)
    expect(widget.user_messages.last).to_contain_text(question)

    for chip in reply.locator('[data-role="citation"]').all():  # render every source once
        chip.click()
        expect(chip).to_have_attribute("aria-expanded", "true")
    # Paragraph 2 in each language holds the markup; the pair is one chip.
    hostile_chip = reply.locator('[data-role="citation"][data-passage-id$=".0002"]')
    expect(hostile_chip).to_have_count(1)
    expect(hostile_chip).to_have_attribute("title", re.compile("<i>"))
    hostile_chip.click()
    source = reply.locator('[data-role="source"]')
    expect(source.locator('[data-role="passage"]')).to_contain_text(HOSTILE_MARKUP)
    expect(source.locator('[data-role="translation"]')).to_contain_text(HOSTILE_MARKUP)
    expect(source).to_contain_text("<script>window.__qaPwned=2</script>")
    expect(source).to_contain_text("一、风电装机<i>斜体</i>")

    assert shadow_elements(widget, "img, script, b, i, iframe") == 0
    assert page.locator("img").count() == 0
    assert page.evaluate("typeof window.__qaPwned") == "undefined"
    assert dialogs == []


def test_rate_limit_shows_how_long_to_wait(widget, host_site, hostile_server):
    url = host_site.add_page("/limited.html", hostile_server.url, extra='data-key="limit-key"')
    widget.open(url)
    burst = hostile_server.rate_burst
    for _ in range(burst + 1):  # the key's burst runs out within `burst` asks
        reply = widget.ask("offshore wind farms")
        if reply.locator('[data-role="error"]').count():
            break
    else:
        pytest.fail(f"no 429 after {burst + 1} questions with a burst of {burst}")
    expect(reply.locator('[data-role="error"]')).to_contain_text(re.compile(r"wait \d+ seconds"))
    expect(widget.role("retry")).to_be_visible()
