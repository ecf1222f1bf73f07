"""Run a question file against the service and score it (see metrics.py).

Against a live server the runner speaks HTTP; in process it calls the engine and shapes the
answers with the API's own presenters, so both paths score the same JSON that clients get,
including `confident` on /v1/search and `answerable` on /v1/ask.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from qa.answer.extract import ask
from qa.api.present import ask_response, search_response
from qa.eval.fit import MODES, mode_lang
from qa.eval.metrics import Ranked, abstention_summary, first_hit_rank, ranking_summary
from qa.eval.questions import Question, load_questions

TOP_K = 10
MAX_RETRIES = 5  # on 429/503, honouring Retry-After
SNIPPET_CHARS = 160


@dataclass
class Lookup:
    results: list[dict]
    confident: bool | None


class HttpClient:
    """POSTs to a live server's /v1/search and /v1/ask, retrying politely when rate-limited."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def _post(self, path: str, body: dict) -> dict:
        for _ in range(MAX_RETRIES):
            response = self.http.post(path, json=body)
            if response.status_code not in (429, 503):
                break
            time.sleep(min(float(response.headers.get("Retry-After", 1)), 10))
        response.raise_for_status()
        return response.json()

    def search(self, query: str, lang: str | None) -> Lookup:
        body = self._post("/v1/search", {"query": query, "top_k": TOP_K, "lang": lang})
        return Lookup(body["results"], body["confident"])

    def ask(self, question: str) -> dict:
        return self._post("/v1/ask", {"question": question})

    def describe(self) -> dict:
        response = self.http.get("/readyz")
        return response.json() if response.status_code == 200 else {"status": response.status_code}


class InProcessClient:
    """The same questions against an open service, through the API's own presenters (no HTTP)."""

    def __init__(self, service) -> None:
        self.service = service

    def search(self, query: str, lang: str | None) -> Lookup:
        result = self.service.engine.search(query, TOP_K, lang)
        body = search_response(query, result, 0.0).model_dump(mode="json")
        return Lookup(body["results"], body["confident"])

    def ask(self, question: str) -> dict:
        return ask_response(question, ask(self.service.engine, question), 0.0).model_dump(mode="json")

    def describe(self) -> dict:
        store = self.service.store
        return {
            "status": "ready",
            "index_version": store.version,
            "model": self.service.encoder.model_id,
            "passages": store.size,
        }


@contextmanager
def live_client(url: str, timeout: float = 30.0) -> Iterator[HttpClient]:
    with httpx.Client(base_url=url.rstrip("/"), timeout=timeout) as http:
        yield HttpClient(http)


def _first(result: dict | None) -> dict | None:
    if result is None:
        return None
    return {"passage_id": result["passage_id"], "lang": result["lang"], "text": result["text"][:SNIPPET_CHARS]}


def _signal_summary(values: list[bool], questions: list[Question], abstain_when: bool) -> dict:
    """Abstention figures for one signal; `abstain_when` is the flag value that means "no answer"."""
    flagged = [v == abstain_when for v in values]
    summary = abstention_summary(flagged, [not q.answerable for q in questions])
    wrong = [
        {"id": q.id, "question": q.question, "answerable": q.answerable}
        for q, f in zip(questions, flagged)
        if f == q.answerable
    ]
    return {**summary, "errors": wrong}


def answer_has_gold(body: dict, q: Question) -> bool:
    """The /v1/ask sentence is in the asker's language and contains a short answer string of
    that language (the question's `answers`, else its gold snippets)."""
    answer = body.get("answer")
    if not answer or body.get("answer_lang") != q.lang:
        return False
    return any(s in answer["text"] for s in q.answer_strings(q.lang))


def _answer_summary(bodies: list[dict], questions: list[Question]) -> dict:
    pairs = [(b, q) for b, q in zip(bodies, questions) if q.answerable]
    wrong = [
        {"id": q.id, "question": q.question, "answer": (b.get("answer") or {}).get("text")}
        for b, q in pairs
        if not answer_has_gold(b, q)
    ]
    by_lang = {}
    for lang in ("zh", "en"):
        mine = [(b, q) for b, q in pairs if q.lang == lang]
        by_lang[lang] = round(sum(answer_has_gold(b, q) for b, q in mine) / len(mine), 4) if mine else None
    rate = round((len(pairs) - len(wrong)) / len(pairs), 4) if pairs else None
    return {
        "answerable": len(pairs),
        "with_gold": len(pairs) - len(wrong),
        "rate": rate,
        "by_lang": by_lang,
        "misses": wrong,
    }


def _support_summary(bodies: list[dict], questions: list[Question]) -> dict:
    """The support table through the API: kinds of question × the `support` /v1/ask gave."""
    table: dict[str, dict[str, int]] = {}
    for body, q in zip(bodies, questions):
        row = table.setdefault(q.kind or "", {"n": 0, "stated": 0, "related": 0, "none": 0})
        row["n"] += 1
        row[body.get("support") or ("stated" if body["answerable"] else "none")] += 1
    return table


def evaluate(client: HttpClient | InProcessClient, questions: list[Question]) -> dict:
    """Score every mode over the answerable questions, both abstention signals over all, and
    whether /v1/ask quotes a sentence holding the gold snippet."""
    ranks: dict[str, list[int | None]] = {mode: [] for mode in MODES}
    misses = []
    confident: list[bool] = []
    asked: list[dict] = []
    started = time.perf_counter()
    for q in questions:
        for mode in MODES:
            lookup = client.search(q.question, mode_lang(mode, q.lang))
            if mode == "any":
                confident.append(lookup.confident)
            if not q.answerable:
                continue
            ranked = [Ranked(r["text"], r["lang"]) for r in lookup.results]
            rank = first_hit_rank(ranked, q.gold, TOP_K)
            ranks[mode].append(rank)
            if rank != 1:
                misses.append(
                    {
                        "mode": mode,
                        "id": q.id,
                        "question": q.question,
                        "rank": rank,
                        "first": _first(lookup.results[0] if lookup.results else None),
                    }
                )
        asked.append(client.ask(q.question))
    return {
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "unanswerable": sum(not q.answerable for q in questions),
        "modes": {mode: ranking_summary(ranks[mode]) for mode in MODES},
        "abstention": {
            "search_confident": _signal_summary(confident, questions, abstain_when=False),
            "ask_answerable": _signal_summary([b["answerable"] for b in asked], questions, abstain_when=False),
        },
        "answers": _answer_summary(asked, questions),
        "support": _support_summary(asked, questions),
        "misses": misses,
        "seconds": round(time.perf_counter() - started, 2),
    }


def run_file(client: HttpClient | InProcessClient, path: Path) -> dict:
    report = {"file": str(path), "server": client.describe()}
    report.update(evaluate(client, load_questions(path)))
    return report
