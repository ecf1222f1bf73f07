"""`qa analytics`: summary, gaps, CSV export and purge of the question log from the command line."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from qa.analytics.recorder import AskEvent
from qa.analytics.service import Analytics
from qa.cli import cli
from qa.settings import get_settings
from qa.state.db import open_state

QUESTIONS = [
    ("明天巴黎天气怎么样？", "zh", "none"),
    ("What is the weather in Paris tomorrow?", "en", "none"),
    ("中国何时实现碳达峰？", "zh", "stated"),
]


def test_summary_gaps_export_and_purge(cli_env, settings, service, tmp_path, monkeypatch, old_ask):
    cli_env(settings.corpus_dir, settings.index_dir)
    monkeypatch.setenv("QA_DATABASE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    get_settings.cache_clear()
    analytics = Analytics(open_state(get_settings()), get_settings())
    for question, lang, support in QUESTIONS:
        cited = [hit.passage.passage_id for hit in service.engine.search(question, 3, lang).hits]
        analytics.record(
            AskEvent(
                answer_id=analytics.new_answer_id(),
                question=question,
                lang=lang,
                script=None,
                support=support,
                confidence=0.5,
                cited=cited,
                latency_ms=10.0,
                visitor="v",
            )
        )
    analytics.record(old_ask(200))
    analytics.close()
    runner = CliRunner()

    summary = runner.invoke(cli, ["analytics", "summary", "--days", "7"])
    assert summary.exit_code == 0, summary.output
    assert json.loads(summary.output)["totals"]["asks"] == 3

    exported = runner.invoke(cli, ["analytics", "export", "--csv", "--days", "365"])
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert {r["question"] for r in rows} == {q for q, _, _ in QUESTIONS} | {"旧问题"}
    assert rows[-1]["question"] == "旧问题"  # newest first

    gaps = runner.invoke(cli, ["analytics", "gaps", "--days", "7"])
    assert gaps.exit_code == 0, gaps.output
    groups = json.loads(gaps.output)["groups"]
    assert groups[0]["size"] == 2 and groups[0]["languages"] == ["en", "zh"]  # the Paris twins together
    assert groups[0]["nearest_passage"]["passage_id"]

    purged = runner.invoke(cli, ["analytics", "purge"])
    assert purged.exit_code == 0 and "deleted 1 question(s)" in purged.output
