"""A fake qa API inside the browser, for contract tests of the widget.

The server side of this round's fields (`support`, `closest`, `answer_id`, `text_converted`,
`POST /v1/feedback`, `GET /v1/collections`, `/v1/ask` as server-sent events) is built elsewhere in
parallel; these tests check the widget against the contract (BRIEF.md / docs/API.md) by answering
its requests with contract-shaped bodies through Playwright's `page.route`, and record what it sends.
The widget's own files are served from qa/widget, as the real server does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from qa.settings import PROJECT_ROOT
from qa.text.script import to_traditional

WIDGET_DIR = PROJECT_ROOT / "qa" / "widget"
ORIGIN = "http://qa-contract.test"  # never resolved: every request to it is answered by the route

CONTRACT_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Contract page</title>
<script src="{origin}/widget.js" data-api="{origin}" {extra} defer></script>
</head><body><main><h1>A site with the widget</h1></main></body></html>
"""


def citation(title: str, section: list[str], paragraph: int) -> dict:
    return {
        "doc_title": title,
        "section": section,
        "paragraph": paragraph,
        "label": f"{title} › {' › '.join(section)} › ¶{paragraph}",
        "page": None,
    }


def hit(passage_id: str, lang: str, text: str, cite: dict, translations: list[dict], rank: int = 1, **extra) -> dict:
    """A /v1/search or /v1/ask citation (SearchHit), with optional new fields (`text_converted`)."""
    return {
        "rank": rank,
        "score": round(1 - rank / 10, 2),
        "passage_id": passage_id,
        "doc_id": passage_id.rsplit(".", 2)[0],
        "lang": lang,
        "text": text,
        "citation": cite,
        "translations": translations,
        **extra,
    }


def span(passage_text: str, sentence: str, passage_id: str, **extra) -> dict:
    """An AnswerSpan: `sentence` verbatim from the passage, with code-point offsets."""
    start = passage_text.index(sentence)
    return {"text": sentence, "passage_id": passage_id, "start": start, "end": start + len(sentence), **extra}


# One bilingual paragraph pair and a second pair, as the demo paper has them.
EN_CAPACITY = (
    "By the end of 2024, China's installed capacity of wind and solar power had reached "
    "1.4 billion kilowatts. Non-fossil energy now makes up more than half of all installed "
    "power capacity, and the grid has been extended to remote regions."
)
ZH_CAPACITY = (
    "截至2024年底，中国风电和光伏发电装机容量达到14亿千瓦。非化石能源发电装机占比超过一半，电网延伸到偏远地区。"
)
EN_VEHICLES = (
    "New energy vehicles made up more than 40 percent of new car sales in 2024, and China "
    "has the world's largest charging network."
)
ZH_VEHICLES = "2024年新能源汽车占新车销量的40%以上，中国建成了全球最大的充电网络。"
TITLE = "China's Green Development"
CAPACITY_CITE = {
    "en": citation(TITLE, ["III. Energy", "2. Renewables"], 12),
    "zh": citation("中国的绿色发展", ["三、能源", "（二）可再生能源"], 12),
}
VEHICLE_CITE = {"en": citation(TITLE, ["IV. Transport"], 20), "zh": citation("中国的绿色发展", ["四、交通"], 20)}


def pair(
    stem: str,
    paragraph: str,
    texts: dict[str, str],
    cites: dict[str, dict],
    lead: str,
    rank: int = 1,
    converted: bool = False,
) -> dict:
    """A hit in `lead` with its translation; `converted` adds Traditional `text_converted` to
    the Chinese side (as for a question asked in Traditional script)."""
    ids = {lang: f"{stem}.{lang}.{paragraph}" for lang in texts}
    other = "zh" if lead == "en" else "en"

    def extra(lang: str) -> dict:
        return {"text_converted": to_traditional(texts[lang])} if converted and lang == "zh" else {}

    translation = {"passage_id": ids[other], "lang": other, "text": texts[other], **extra(other)}
    return hit(ids[lead], lead, texts[lead], cites[lead], [translation], rank=rank, **extra(lead))


def capacity_hits(lead: str, converted: bool = False) -> list[dict]:
    return [
        pair("green", "0012", {"en": EN_CAPACITY, "zh": ZH_CAPACITY}, CAPACITY_CITE, lead, 1, converted),
        pair("green", "0020", {"en": EN_VEHICLES, "zh": ZH_VEHICLES}, VEHICLE_CITE, lead, 2, converted),
    ]


def ask_response(
    question: str,
    support: str | None,
    citations: list[dict],
    *,
    answer: dict | None = None,
    closest: dict | None = None,
    message: str | None = None,
    answer_id: str | None = "ans-1",
    lang: str = "en",
    question_script: str | None = None,
) -> dict:
    """A /v1/ask body; `support=None` leaves the new fields out, as today's server does."""
    body = {
        "question": question,
        "question_lang": lang,
        "answer_lang": lang,
        "answerable": support == "stated" if support else answer is not None,
        "confidence": 0.9 if answer else 0.2,
        "answer": answer,
        "citations": citations,
        "message": message,
        "took_ms": 12.0,
    }
    if support is not None:
        body |= {"support": support, "closest": closest, "question_script": question_script}
    if answer_id is not None:
        body["answer_id"] = answer_id
    return body


def stated_en(answer_id: str = "ans-stated") -> dict:
    sentence = (
        "By the end of 2024, China's installed capacity of wind and solar power had reached 1.4 billion kilowatts."
    )
    return ask_response(
        "What is China's installed wind and solar capacity?",
        "stated",
        capacity_hits("en"),
        answer=span(EN_CAPACITY, sentence, "green.en.0012"),
        answer_id=answer_id,
    )


# Per language: a question the documents relate to but do not answer, the closest sentence, the
# paragraph it stands in, the reply's answer id and the question's script.
RELATED_ASKS = {
    "en": (
        "How many electric cars did China export in 2024?",
        "New energy vehicles made up more than 40 percent of new car sales in 2024",
        EN_VEHICLES,
        "ans-related",
        None,
    ),
    "zh": (
        "2024年中国出口了多少辆电动汽车？",
        "2024年新能源汽车占新车销量的40%以上",
        ZH_VEHICLES,
        "ans-related-zh",
        "zh-Hans",
    ),
}


def related(lang: str, message: str | None = None, answer_id: str | None = None) -> dict:
    """A `related` reply in `lang`: the closest quote, no answer."""
    question, sentence, paragraph, default_id, script = RELATED_ASKS[lang]
    return ask_response(
        question,
        "related",
        capacity_hits(lang)[::-1],
        closest=span(paragraph, sentence, f"green.{lang}.0020"),
        message=message,
        answer_id=answer_id or default_id,
        lang=lang,
        question_script=script,
    )


def converted_zh_hant() -> dict:
    """A Traditional-script question answered from a Simplified source."""
    sentence = "截至2024年底，中国风电和光伏发电装机容量达到14亿千瓦。"
    answer = span(ZH_CAPACITY, sentence, "green.zh.0012", text_converted=to_traditional(sentence))
    return ask_response(
        "中國的風電和光伏裝機容量現在有多大？",
        "stated",
        capacity_hits("zh", converted=True),
        answer=answer,
        answer_id="ans-hant",
        lang="zh",
        question_script="zh-Hant",
    )


def sse(*events: tuple[str, object]) -> str:
    """A text/event-stream body, with a heartbeat comment as the server sends between events."""
    chunks = [": heartbeat\n\n"]
    for name, payload in events:
        chunks.append(f"event: {name}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n")
    return "".join(chunks)


@dataclass
class Reply:
    status: int
    body: str
    content_type: str = "application/json"


def json_reply(body: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(body, ensure_ascii=False))


@dataclass
class ContractApi:
    """Answers every request to ORIGIN in `page`: pages, the widget's files, and /v1/*."""

    page: object
    pages: dict[str, str] = field(default_factory=dict)
    asks: list[Reply] = field(default_factory=list)  # /v1/ask replies, in order
    feedback: Reply = field(default_factory=lambda: Reply(201, '{"status": "recorded"}'))
    collections: Reply = field(
        default_factory=lambda: json_reply({"error": {"code": "not_found", "message": "Not Found"}}, 404)
    )
    requests: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.route(f"{ORIGIN}/**", self._handle)

    def add_page(self, path: str, lang: str = "en", extra: str = "") -> str:
        self.pages[path] = CONTRACT_PAGE.format(lang=lang, origin=ORIGIN, extra=extra)
        return ORIGIN + path

    def sent(self, path: str) -> list[dict]:
        """The requests the widget made to `path`, with headers and JSON bodies."""
        return [r for r in self.requests if r["path"] == path]

    def _handle(self, route, request) -> None:
        path = urlsplit(request.url).path
        body = request.post_data
        self.requests.append(
            {
                "method": request.method,
                "path": path,
                "headers": request.all_headers(),
                "json": json.loads(body) if body else None,
            }
        )
        if path in self.pages:
            reply = Reply(200, self.pages[path], "text/html; charset=utf-8")
        elif path in ("/widget.js", "/widget.css"):
            kind = "text/javascript" if path.endswith(".js") else "text/css"
            reply = Reply(200, (WIDGET_DIR / path.lstrip("/")).read_text(encoding="utf-8"), kind)
        elif path == "/v1/documents":
            reply = json_reply(
                [{"doc_id": "green", "title": {"zh": "中国的绿色发展", "en": TITLE}, "passages": {"zh": 40, "en": 40}}]
            )
        elif path == "/v1/collections":
            reply = self.collections
        elif path == "/v1/feedback":
            reply = self.feedback
        elif path == "/v1/ask" and self.asks:
            reply = self.asks.pop(0)
        else:
            reply = json_reply({"error": {"code": "not_found", "message": "Not Found"}}, 404)
        route.fulfill(
            status=reply.status,
            body=reply.body,
            headers={"Content-Type": reply.content_type, "Cache-Control": "no-store"},
        )
