"""`/v1/ask` and `/v1/search` over HTTP as a user meets them, side by side in one run:

- the question log on against off (recording must not slow an ask down);
- the same Chinese questions in Simplified and in Traditional script (folding the script
  must not cost a Traditional reader time);
- optionally, the same requests against another checkout of `qa` (`baseline_src`, e.g. the
  commit before a change), which builds its own index from the same corpus.

Every server runs at once and requests go to them in turn, one at a time, so machine noise
falls on each alike; the ratios are what the targets are stated in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

import httpx

from qa.bench.http import REQUEST_TIMEOUT, START_TIMEOUT, Server, service_env
from qa.bench.inprocess import sequential
from qa.bench.stats import latency_summary, ratio
from qa.text.script import script_of, to_traditional

# A baseline checkout builds its index before it answers: allow for an unthreaded build.
BASELINE_START_TIMEOUT = 900.0
WARMUP = 3


def traditional_twins(questions: Sequence[str]) -> tuple[list[str], list[str]]:
    """The Chinese questions of `questions` in Simplified, and the same in Traditional script."""
    simplified = [q for q in questions if script_of(q) == "zh-Hans"]
    return simplified, [to_traditional(q) for q in simplified]


def ask_body(question: str) -> dict:
    return {"question": question}


def search_body(question: str) -> dict:
    return {"query": question, "top_k": 5}


def in_turn(
    targets: dict[str, tuple[httpx.Client, Callable[[str], dict]]],
    path: str,
    questions: Sequence[str],
    warmup: int = 0,
) -> dict[str, dict]:
    """POST `path` for every question to each target (a client and the body it sends for a
    question) in turn, after `warmup` untimed rounds; latency and statuses per target."""
    statuses: dict[str, dict[int, int]] = {name: {} for name in targets}

    def poster(name: str, client: httpx.Client, body_of: Callable[[str], dict]) -> Callable[[str], object]:
        def post(question: str) -> None:
            code = client.post(path, json=body_of(question)).status_code
            statuses[name][code] = statuses[name].get(code, 0) + 1

        return post

    posts = {name: poster(name, client, body_of) for name, (client, body_of) in targets.items()}
    for question in questions[:warmup]:
        for post in posts.values():
            post(question)
    for counts in statuses.values():
        counts.clear()
    seconds = sequential(posts, questions)
    return {name: {**latency_summary(seconds[name]), "statuses": statuses[name]} for name in targets}


def _servers(
    stack: ExitStack, index_dir: Path, corpus_dir: Path, model: str, baseline_src: Path | None, log: Path | None
) -> dict[str, Server]:
    common = service_env(index_dir, corpus_dir, model)
    servers = {
        "analytics_off": stack.enter_context(
            Server("qa.api.app:create_app", factory=True, env={**common, "QA_ANALYTICS": "false"}, log=log)
        ),
        "analytics_on": stack.enter_context(
            Server("qa.api.app:create_app", factory=True, env={**common, "QA_ANALYTICS": "true"}, log=log)
        ),
    }
    if baseline_src is not None:
        baseline_env = {
            **common,
            "PYTHONPATH": str(baseline_src),
            "QA_INDEX_DIR": str(index_dir.parent / "baseline-index"),
            "QA_AUTO_BUILD": "true",
        }
        servers["baseline"] = stack.enter_context(
            Server("qa.api.app:create_app", factory=True, env=baseline_env, log=log)
        )
    return servers


def run_ask_leg(
    index_dir: Path,
    corpus_dir: Path,
    model: str,
    questions: Sequence[str],
    baseline_src: Path | None = None,
    log: Path | None = None,
) -> dict:
    """Sequential asks and searches, question log on vs off (and vs a baseline checkout), then
    Simplified vs Traditional twins of the Chinese questions on the log-off server."""
    simplified, traditional = traditional_twins(questions)
    out: dict = {"questions": len(questions), "chinese_twins": len(simplified)}
    with ExitStack() as stack:
        servers = _servers(stack, index_dir, corpus_dir, model, baseline_src, log)
        for name, server in servers.items():
            timeout = BASELINE_START_TIMEOUT if name == "baseline" else START_TIMEOUT
            out[f"{name}_start_s"] = round(server.wait_ready("/readyz", timeout), 2)
        clients = {
            name: stack.enter_context(httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT))
            for name, server in servers.items()
        }
        for path, body_of in (("ask", ask_body), ("search", search_body)):
            out[path] = in_turn(
                {name: (client, body_of) for name, client in clients.items()}, f"/v1/{path}", questions, WARMUP
            )
        off, twin = clients["analytics_off"], dict(zip(simplified, traditional))
        for path, body_of in (("ask", ask_body), ("search", search_body)):
            twins = {"zh-Hans": (off, body_of), "zh-Hant": (off, lambda q, body_of=body_of: body_of(twin[q]))}
            out[f"script_{path}"] = in_turn(twins, f"/v1/{path}", simplified)
        out["analytics_on_memory"] = servers["analytics_on"].memory()
    out["ratios"] = ask_ratios(out)
    return out


def ask_ratios(leg: dict) -> dict:
    """The figures the targets name: log on / off, Traditional / Simplified, now / baseline."""
    out = {
        "ask_p50_analytics_on_over_off": ratio(
            leg["ask"]["analytics_on"]["p50_ms"], leg["ask"]["analytics_off"]["p50_ms"]
        ),
        "ask_p50_traditional_over_simplified": ratio(
            leg["script_ask"]["zh-Hant"]["p50_ms"], leg["script_ask"]["zh-Hans"]["p50_ms"]
        ),
        "search_p50_traditional_over_simplified": ratio(
            leg["script_search"]["zh-Hant"]["p50_ms"], leg["script_search"]["zh-Hans"]["p50_ms"]
        ),
    }
    if "baseline" in leg["ask"]:
        out["ask_p50_now_over_baseline"] = ratio(
            leg["ask"]["analytics_off"]["p50_ms"], leg["ask"]["baseline"]["p50_ms"]
        )
        out["search_p50_now_over_baseline"] = ratio(
            leg["search"]["analytics_off"]["p50_ms"], leg["search"]["baseline"]["p50_ms"]
        )
    return out
