"""Two replicas on one state store (SQLite file or PostgreSQL) keep one question log."""

from __future__ import annotations

from qa.analytics.recorder import AskEvent
from qa.analytics.reports import summary
from qa.analytics.service import Analytics
from qa.state.db import StateStore, database_url
from tests.state.conftest import postgres_url, state_settings  # noqa: F401  (fixtures)


def _event(analytics: Analytics, question: str, support: str) -> AskEvent:
    return AskEvent(
        answer_id=analytics.new_answer_id(),
        question=question,
        lang="en",
        script=None,
        support=support,
        confidence=0.5,
        cited=[],
        latency_ms=12.0,
        visitor=analytics.visitor("ip:192.0.2.1"),
    )


def test_two_replicas_write_one_log_and_accept_each_others_answer_ids(state_settings):  # noqa: F811
    url = database_url(state_settings)
    first, second = (Analytics(StateStore(url), state_settings) for _ in range(2))
    try:
        assert first.signer.secret == second.signer.secret  # one secret, created once
        events = [_event(first, "q1", "stated"), _event(second, "q2", "none"), _event(second, "q3", "related")]
        first.record(events[0])
        second.record(events[1])
        second.record(events[2])
        first.recorder.flush()
        second.recorder.flush()
        assert second.answer_known(events[0].answer_id) and first.answer_known(events[1].answer_id)
        assert second.rate(events[0].answer_id, "ip:192.0.2.1", "up", None, None) is True
        assert first.rate(events[0].answer_id, "ip:192.0.2.1", "down", "wrong", None) is False  # replaced
        with first.state.session() as session:
            totals = summary(session, days=1)["totals"]
        assert totals == {"asks": 3, "stated": 1, "related": 1, "none": 1, "up": 0, "down": 1}
    finally:
        first.close()
        second.close()
