"""The demo page and the widget for everyone: axe-core finds nothing serious, keys alone suffice.

axe-core (npm, the rule set browsers' own dev tools use) runs in Chromium on the demo page in
both languages, at desktop and phone widths, with an answer shown and a citation open.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import run_axe

pytestmark = pytest.mark.browser

QUESTIONS = {"zh": "全国碳市场覆盖了全国多少碳排放量？", "en": "How much regular hydropower capacity does China have?"}
WIDTHS = {"desktop": 1280, "phone": 360}
BLOCKING = {"serious", "critical"}
# Reported against the widget and demo page before (issue 15); none may come back, whatever
# impact axe gives them.
FIXED = {
    "color-contrast",
    "label-content-name-mismatch",
    "heading-order",
    "landmark-no-duplicate-banner",
    "landmark-unique",
    "scrollable-region-focusable",
}


def focused_role(widget) -> str | None:
    return widget.shadow_eval("root.activeElement && root.activeElement.dataset.role")


def focus_ring(widget) -> str:
    """The outline of the focused element inside the widget ('none' when there is none)."""
    return widget.shadow_eval(
        "(s => s.outlineStyle === 'none' || s.outlineWidth === '0px' ? 'none' : s.outlineStyle)"
        "(getComputedStyle(root.activeElement))"
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(WIDTHS))
def test_no_serious_axe_violation_with_an_answer_and_a_citation_open(widget, api, axe_source, artifacts, lang, size):
    page = widget.page
    page.set_viewport_size({"width": WIDTHS[size], "height": 800})
    page.goto(f"{api.url}/?lang={lang}")
    before = run_axe(page, axe_source)  # the page alone, widget closed

    widget.role("launcher").click()
    reply = widget.ask(QUESTIONS[lang])
    expect(reply.locator('[data-role="answer"]')).to_be_visible()
    chip = reply.locator('[data-role="citation"]').first
    chip.click()
    expect(reply.locator('[data-role="source"]')).to_be_visible()
    after = run_axe(page, axe_source)

    violations = {"closed": before, "open": after}
    (artifacts / f"axe-{lang}-{size}.json").write_text(json.dumps(violations, indent=1, ensure_ascii=False))
    found = [v for state in violations.values() for v in state]
    assert not [v for v in found if v["impact"] in BLOCKING], json.dumps(found, indent=1, ensure_ascii=False)
    assert not [v for v in found if v["id"] in FIXED], json.dumps(found, indent=1, ensure_ascii=False)


def test_keyboard_only_open_ask_read_citations_and_close(widget, api, artifacts):
    page = widget.page
    page.goto(f"{api.url}/?lang=en")
    for _ in range(30):  # Tab through the page to the widget's launcher
        page.keyboard.press("Tab")
        if focused_role(widget) == "launcher":
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    assert focus_ring(widget) != "none"
    page.keyboard.press("Enter")
    expect(widget.role("panel")).to_be_visible()
    expect(widget.role("input")).to_be_focused()

    page.keyboard.type(QUESTIONS["en"])
    page.keyboard.press("Enter")
    expect(widget.bot_messages).to_have_count(1, timeout=widget.ASK_TIMEOUT_MS)
    chips = widget.bot_messages.first.locator('[data-role="citation"]')
    # The reply lands in a live region, so screen readers announce it.
    assert widget.shadow_eval(
        "(l => l.getAttribute('aria-live') || l.getAttribute('role'))(root.querySelector('[data-role=log]'))"
    ) in ("polite", "log")
    assert widget.shadow_eval("root.querySelector('[data-role=log]').contains(root.querySelector('[data-from=bot]'))")

    for _ in range(12):  # the citations sit just before the question box
        page.keyboard.press("Shift+Tab")
        if focused_role(widget) == "citation":
            break
    else:
        pytest.fail("no citation reachable with Shift+Tab from the question box")
    assert focus_ring(widget) != "none"
    last = chips.last
    expect(last).to_be_focused()
    page.keyboard.press("Enter")
    expect(last).to_have_attribute("aria-expanded", "true")
    expect(widget.bot_messages.first.locator('[data-role="source"]')).to_be_visible()
    if chips.count() > 1:
        page.keyboard.press("Shift+Tab")
        expect(chips.nth(chips.count() - 2)).to_be_focused()
        page.keyboard.press("Space")
        expect(chips.nth(chips.count() - 2)).to_have_attribute("aria-expanded", "true")
        expect(last).to_have_attribute("aria-expanded", "false")
    page.screenshot(path=artifacts / "widget-keyboard.png")

    page.keyboard.press("Escape")
    expect(widget.role("panel")).to_be_hidden()
    expect(widget.role("launcher")).to_be_focused()
    assert focus_ring(widget) != "none"

    page.keyboard.press("Enter")  # open again, then close with the close button, by keys
    expect(widget.role("panel")).to_be_visible()
    widget.role("close").focus()
    page.keyboard.press("Enter")
    expect(widget.role("panel")).to_be_hidden()
    expect(widget.role("launcher")).to_be_focused()


def test_phone_sheet_closes_back_to_the_launcher(widget, api):
    page = widget.page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{api.url}/?lang=zh")
    widget.role("launcher").focus()
    page.keyboard.press("Enter")
    expect(widget.role("panel")).to_be_visible()
    expect(widget.role("launcher")).to_be_hidden()  # the sheet covers the screen, with its own close
    page.keyboard.press("Escape")
    expect(widget.role("launcher")).to_be_visible()
    expect(widget.role("launcher")).to_be_focused()
