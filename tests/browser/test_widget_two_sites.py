"""Two sites, one server, in real Chromium: each host page (its own origin) embeds the widget with
its own key and `data-collection`; each widget answers only from its own collection, and nothing
the API sends either page names the other collection's document."""

from __future__ import annotations

import json

import httpx
import pytest
from _two_sites import DEFAULT_ARTICLE, Site, copy_article, open_sites, questions_about
from playwright.sync_api import expect

from tests.browser.conftest import ApiServer, HostSite, server_log

pytestmark = pytest.mark.browser

ADMIN_KEY = "two-sites-admin-key"


@pytest.fixture(scope="module")
def two_sites(chromium_installed, tmp_path_factory):
    """The server (`default`: a third article, which neither key may read), the two sites with
    their host pages, and each collection's documents as its key reads them."""
    hosts = [HostSite(), HostSite()]
    corpus = copy_article(DEFAULT_ARTICLE, tmp_path_factory.mktemp("two-sites-corpus"))
    index = tmp_path_factory.mktemp("two-sites-index")
    # No QA_CORS_ORIGINS: each page may call the API only because its key names its origin.
    server = ApiServer(corpus, index, [], server_log(tmp_path_factory, "two-sites-server"))
    server.env.update(QA_ADMIN_KEYS=ADMIN_KEY)
    try:
        server.start()
        with httpx.Client(base_url=server.url, timeout=120) as client:
            sites = open_sites(client, {"Authorization": f"Bearer {ADMIN_KEY}"}, index, [h.origin for h in hosts])
            # The first read of a collection builds its index: done here, not inside a browser wait.
            documents = {
                site.collection: client.get(
                    "/v1/documents", params={"collection": site.collection}, headers=site.headers()
                ).json()
                for site in sites
            }
        yield server, list(zip(sites, hosts, strict=True)), documents
    finally:
        server.stop()
        for host in hosts:
            host.close()


def passage_holding(server: ApiServer, site: Site, quote: str) -> str:
    """The id of the site's one passage that contains `quote`, as its key lists them."""
    listed = httpx.get(
        f"{server.url}/v1/passages", params={"collection": site.collection}, headers=site.headers(), timeout=60
    ).json()
    [passage_id] = [p["passage_id"] for p in listed["items"] if quote in p["text"]]
    return passage_id


@pytest.mark.parametrize("which", [0, 1], ids=["site-a", "site-b"])
def test_each_sites_widget_answers_only_from_its_own_collection(widget, two_sites, artifacts, which):
    server, sites, documents = two_sites
    (site, host), (other, _) = sites[which], sites[1 - which]
    assert [d["doc_id"] for d in documents[site.collection]] == [site.doc_id]
    seen: list = []
    widget.page.on("response", lambda r: seen.append(r) if r.url.startswith(f"{server.url}/v1/") else None)
    url = host.add_page(
        f"/{site.collection}.html",
        server.url,
        lang="zh-CN",
        extra=f'data-key="{site.key}" data-collection="{site.collection}"',
    )
    widget.open(url)
    # The panel names this site's own document (listed with its collection, not `default`'s).
    title = documents[site.collection][0]["title"]["zh"]
    expect(widget.page.locator("qa-chat .sub")).to_have_text(title)

    own = next(q for q in questions_about(site.doc_id) if q["lang"] == "zh")
    foreign = next(q for q in questions_about(other.doc_id) if q["lang"] == "zh")
    for question in (own, foreign):
        reply = widget.ask(question["question"])
        answer = reply.locator('[data-role="answer"]')
        if question is own:  # stated, quoted from the paragraph that holds it
            expect(answer.locator("mark")).to_have_count(1)
            primary = reply.locator('[data-role="citation"].primary').get_attribute("data-passage-id")
            assert primary == passage_holding(server, site, question["gold"][0]["zh"]), question
        else:  # nothing here states it: no answer, and only this site's passages as related ones
            expect(reply.locator('[data-role="citation"]').first).to_be_visible()
            expect(answer).to_have_count(0)
        cited = reply.locator('[data-role="citation"]').evaluate_all("cs => cs.map(c => c.dataset.passageId)")
        assert cited and all(p.startswith(f"{site.doc_id}.") for p in cited), cited
        widget.page.screenshot(
            path=artifacts / f"two-sites-{site.collection}-{'own' if question is own else 'other'}.png"
        )
        widget.role("clear").click()  # a new conversation: the next question is no follow-up of this one

    asks = [r for r in seen if r.url.endswith("/v1/ask")]
    assert [json.loads(r.request.post_data)["collection"] for r in asks] == [site.collection] * 2
    assert all(r.status == 200 for r in seen), [(r.url, r.status) for r in seen]
    # Documents and collections, read whole (Chromium keeps no body of a streamed answer, whose
    # passages are the citations checked above and in tests/state/test_two_sites.py).
    read = [r for r in seen if not r.headers.get("content-type", "").startswith("text/event-stream")]
    assert {r.url.split("?")[0].removeprefix(server.url) for r in read} >= {"/v1/documents", "/v1/collections"}
    for response in read:
        assert other.doc_id not in response.text() and DEFAULT_ARTICLE not in response.text(), response.url
