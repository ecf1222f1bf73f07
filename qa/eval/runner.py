"""Run a question file against the search API and score it (see metrics.py).

The runner speaks HTTP only: in process it drives the real FastAPI app through an in-memory
transport, against a live server it uses the same requests over the network. Both paths therefore
measure exactly what clients get, including the `confident` flag of /v1/search and the
`answerable` flag of /v1/ask when the service has them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from qa.eval.metrics import Gold, Ranked, abstention_summary, first_hit_rank, ranking_summary

MODES = ("any", "same", "cross")
TOP_K = 10
MAX_RETRIES = 5  # on 429/503, honouring Retry-After
SNIPPET_CHARS = 160


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    lang: str
    question: str
    gold: list[Gold]

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


def load_questions(path: Path) -> list[Question]:
    """Read a JSON-lines question file; a bad line is reported with its number."""
    questions = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                question = Question.model_validate_json(line)
            except ValidationError as exc:
                raise ValueError(f"{path}:{number}: not a valid question ({exc.errors()[0]['msg']})") from exc
            if question.lang not in ("zh", "en"):
                raise ValueError(f"{path}:{number}: lang must be 'zh' or 'en', not {question.lang!r}")
            questions.append(question)
    if not questions:
        raise ValueError(f"{path} holds no questions")
    return questions


def mode_lang(mode: str, question_lang: str) -> str | None:
    """The /v1/search `lang` filter of a mode: none, the question's language, or the other one."""
    if mode == "any":
        return None
    if mode == "same":
        return question_lang
    return "en" if question_lang == "zh" else "zh"


@dataclass
class Lookup:
    results: list[dict]
    confident: bool | None


class ApiClient:
    """POSTs to /v1/search and /v1/ask, retrying politely when rate-limited or still loading."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.has_ask: bool | None = None

    def _post(self, path: str, body: dict) -> httpx.Response:
        for _ in range(MAX_RETRIES):
            response = self.http.post(path, json=body)
            if response.status_code not in (429, 503):
                return response
            time.sleep(min(float(response.headers.get("Retry-After", 1)), 10))
        return response

    def search(self, query: str, lang: str | None) -> Lookup:
        response = self._post("/v1/search", {"query": query, "top_k": TOP_K, "lang": lang})
        response.raise_for_status()
        body = response.json()
        return Lookup(body["results"], body.get("confident"))

    def ask(self, question: str) -> dict | None:
        """The /v1/ask body, or None when the service has no /v1/ask yet."""
        if self.has_ask is False:
            return None
        response = self._post("/v1/ask", {"question": question})
        if response.status_code in (404, 405):
            self.has_ask = False
            return None
        response.raise_for_status()
        self.has_ask = True
        return response.json()

    def describe(self) -> dict:
        response = self.http.get("/readyz")
        return response.json() if response.status_code == 200 else {"status": response.status_code}


@contextmanager
def live_client(url: str, timeout: float = 30.0) -> Iterator[ApiClient]:
    with httpx.Client(base_url=url.rstrip("/"), timeout=timeout) as http:
        yield ApiClient(http)


@contextmanager
def in_process_client(service) -> Iterator[ApiClient]:
    """The real app around an already-open service, called through an in-memory transport."""
    from fastapi.testclient import TestClient

    from qa.api.app import create_app
    from qa.service import ServiceHolder

    settings = service.settings.model_copy(update={"access_log": False})  # the report is the output
    holder = ServiceHolder(settings)
    holder.service = service
    holder.ready.set()
    with TestClient(create_app(settings, holder)) as http:
        yield ApiClient(http)


def _first(result: dict | None) -> dict | None:
    if result is None:
        return None
    return {"passage_id": result["passage_id"], "lang": result["lang"],
            "text": result["text"][:SNIPPET_CHARS]}


def _signal_summary(values: list[bool | None], questions: list[Question], abstain_when: bool) -> dict:
    """Abstention figures for one signal; `abstain_when` is the flag value that means "no answer"."""
    if any(v is None for v in values):
        return {"available": False}
    flagged = [v == abstain_when for v in values]
    summary = abstention_summary(flagged, [not q.answerable for q in questions])
    wrong = [{"id": q.id, "question": q.question, "answerable": q.answerable}
             for q, f in zip(questions, flagged) if f == q.answerable]
    return {"available": True, **summary, "errors": wrong}


def answer_has_gold(body: dict, q: Question) -> bool:
    """The /v1/ask sentence is in the asker's language and contains that language's gold snippet."""
    answer = body.get("answer")
    if not answer or body.get("answer_lang") != q.lang:
        return False
    return any(gold.get(q.lang, "\0") in answer["text"] for gold in q.gold)


def _answer_summary(bodies: list[dict | None], questions: list[Question]) -> dict:
    pairs = [(b, q) for b, q in zip(bodies, questions) if q.answerable]
    if not pairs or any(b is None for b, _ in pairs):
        return {"available": False}
    wrong = [{"id": q.id, "question": q.question,
              "answer": (b.get("answer") or {}).get("text")} for b, q in pairs if not answer_has_gold(b, q)]
    return {"available": True, "answerable": len(pairs), "with_gold": len(pairs) - len(wrong),
            "rate": round((len(pairs) - len(wrong)) / len(pairs), 4), "misses": wrong}


def evaluate(client: ApiClient, questions: list[Question]) -> dict:
    """Score every mode over the answerable questions, both abstention signals over all, and
    whether /v1/ask quotes a sentence holding the gold snippet."""
    ranks: dict[str, list[int | None]] = {mode: [] for mode in MODES}
    misses = []
    confident: list[bool | None] = []
    asked: list[dict | None] = []
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
                misses.append({"mode": mode, "id": q.id, "question": q.question, "rank": rank,
                               "first": _first(lookup.results[0] if lookup.results else None)})
        asked.append(client.ask(q.question))
    return {
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "unanswerable": sum(not q.answerable for q in questions),
        "modes": {mode: ranking_summary(ranks[mode]) for mode in MODES},
        "abstention": {
            "search_confident": _signal_summary(confident, questions, abstain_when=False),
            "ask_answerable": _signal_summary(
                [None if b is None else b["answerable"] for b in asked], questions, abstain_when=False),
        },
        "answers": _answer_summary(asked, questions),
        "misses": misses,
        "seconds": round(time.perf_counter() - started, 2),
    }


def run_file(client: ApiClient, path: Path) -> dict:
    report = {"file": str(path), "server": client.describe()}
    report.update(evaluate(client, load_questions(path)))
    return report
