"""Content gaps: unanswered questions grouped by topic, Chinese and English twins together."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from qa.analytics.grouping import QuestionVectors, load_grouping
from qa.analytics.recorder import AskEvent
from qa.eval.gaps import fit_grouping
from tests.analytics.test_feedback_api import ADMIN, logged  # noqa: F401  (the fixture)

TWINS = [json.loads(line) for line in (Path(__file__).parents[1] / "data" / "gap_twins.jsonl").open(encoding="utf-8")]


def test_twin_questions_fall_in_one_group(logged, service, capsys):  # noqa: F811
    """Grouping alone, apart from how asks are judged: every twin is logged as unanswered with
    the passages retrieval cites for it in its own language, as /v1/ask would."""
    client, analytics = logged
    topic_of: dict[str, str] = {}
    for twin in TWINS:
        for lang in ("zh", "en"):
            hits = service.engine.search(twin[lang], 3, lang).hits
            analytics.record(
                AskEvent(
                    answer_id=analytics.new_answer_id(),
                    question=twin[lang],
                    lang=lang,
                    script=None,
                    support="related",
                    confidence=0.2,
                    cited=[h.passage.passage_id for h in hits],
                    latency_ms=1.0,
                    visitor="v",
                )
            )
            topic_of[twin[lang]] = twin["topic"]
    analytics.recorder.flush()
    groups = client.get("/v1/admin/analytics/gaps", params={"limit": 500}, headers=ADMIN).json()["groups"]
    unanswered = {e["question"] for g in groups for e in g["examples"]}
    # Only unanswered questions are gaps; examples list at most five per group, so count via sizes.
    assert sum(g["size"] for g in groups) <= len(topic_of)
    group_of: dict[str, int] = {}
    for number, group in enumerate(groups):
        assert group["size"] >= len(group["examples"]) >= 1
        assert set(group["languages"]) <= {"zh", "en"}
        assert group["nearest_passage"] is None or group["nearest_passage"]["passage_id"]
        for example in group["examples"]:
            group_of[example["question"]] = number
    # Twins both unanswered: how often do they share a group? (groups here hold ≤ 5 examples each)
    both = [t for t in TWINS if t["zh"] in unanswered and t["en"] in unanswered]
    together = sum(group_of[t["zh"]] == group_of[t["en"]] for t in both)
    same_group_pairs = [(a, b) for a, b in itertools.combinations(group_of, 2) if group_of[a] == group_of[b]]
    pure = sum(topic_of[a] == topic_of[b] for a, b in same_group_pairs)
    with capsys.disabled():
        print(
            f"\ngaps: {len(both)} twin pairs unanswered, {together} together "
            f"({together / max(len(both), 1):.2f}); same-group pairs {len(same_group_pairs)}, "
            f"same topic {pure} ({pure / max(len(same_group_pairs), 1):.2f}); groups {len(groups)}"
        )
    assert len(both) == len(TWINS)
    assert together / len(both) >= 0.8
    assert pure / len(same_group_pairs) >= 0.8


def test_grouping_threshold_holds_out_of_sample():
    """The shipped threshold's method, cross-validated by topic: held-out twins find each other."""
    vectors = QuestionVectors(load_grouping())([t[lang] for t in TWINS for lang in ("zh", "en")])
    fit = fit_grouping(TWINS, vectors, folds=5)
    assert fit.held_out_together >= 0.8 and fit.held_out_precision >= 0.8
    assert fit.min_similarity == load_grouping().min_similarity  # the shipped file is this fit
