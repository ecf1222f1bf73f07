"""The analytics of one server: answer ids, visitors, the background log and ratings."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from qa.analytics.grouping import QuestionVectors, load_grouping
from qa.analytics.identity import Signer
from qa.analytics.recorder import AskEvent, Recorder
from qa.settings import Settings
from qa.state.analytics import purge_before, rate, shared_secret
from qa.state.db import StateStore

log = logging.getLogger(__name__)

SECRET_NAME = "analytics"
OPT_OUT_HEADER = "x-qa-analytics"
OPT_OUT_VALUES = frozenset({"off", "0", "false", "no"})


class Analytics:
    """Signs answer ids and names visitors with a secret shared through the state store; records
    asks when QA_ANALYTICS is on and the visitor has not opted out; stores ratings."""

    def __init__(self, state: StateStore, settings: Settings) -> None:
        self.state = state
        with state.session() as session:
            self.signer = Signer(shared_secret(session, SECRET_NAME))
        self.retention_seconds = settings.analytics_retention_days * 86400.0
        self.recorder = Recorder(state, settings.analytics_buffer, self.purge) if settings.analytics else None
        self.record_searches = settings.analytics and settings.analytics_searches
        self.grouping = load_grouping()
        self.question_vectors = QuestionVectors(self.grouping, settings.threads)

    @staticmethod
    def opted_out(header_value: str | None) -> bool:
        return (header_value or "").strip().lower() in OPT_OUT_VALUES

    def new_answer_id(self) -> str:
        return self.signer.new_answer_id()

    def answer_known(self, answer_id: str) -> bool:
        """Signed by this service and within the retention period."""
        given = self.signer.answer_time(answer_id)
        return given is not None and 0 <= time.time() - given <= self.retention_seconds

    def visitor(self, client: str) -> str:
        return self.signer.visitor(client, datetime.now(UTC))

    def record(self, event: AskEvent) -> None:
        if self.recorder is not None and (event.kind == "ask" or self.record_searches):
            self.recorder.record(event)

    def rate(self, answer_id: str, client: str, rating: str, reason: str | None, comment: str | None) -> bool:
        """Store a rating (a visitor's second rating of an answer replaces the first); True if new."""
        with self.state.session() as session:
            return rate(session, answer_id, self.visitor(client), rating, reason, comment)

    def purge(self) -> tuple[int, int]:
        """Delete records and ratings older than the retention period now; (asks, ratings)."""
        cutoff = datetime.now(UTC) - timedelta(seconds=self.retention_seconds)
        with self.state.session() as session:
            return purge_before(session, cutoff)

    def close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
