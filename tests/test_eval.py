"""`qa eval`: the metric functions on hand-made rankings, and one real run over the dev set."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa.cli import cli
from qa.eval.fit import MODES, mode_lang
from qa.eval.metrics import Ranked, abstention_summary, first_hit_rank, hit_at, is_hit, mrr_at
from qa.eval.questions import Question, load_questions
from qa.eval.report import format_report
from qa.eval.runner import InProcessClient, answer_has_gold, run_file
from tests.conftest import DATA_DIR

GOLD = [{"zh": "80.2%", "en": "80.2 percent"}]


def test_a_hit_needs_the_snippet_of_the_results_own_language():
    assert is_hit(Ranked("比重下降到80.2%。", "zh"), GOLD)
    assert is_hit(Ranked("fell to 80.2 percent in 2024", "en"), GOLD)
    # The Chinese snippet inside an English passage does not count, and vice versa.
    assert not is_hit(Ranked("fell to 80.2% in 2024", "en"), GOLD)
    assert not is_hit(Ranked("下降到80.2 percent", "zh"), GOLD)
    assert not is_hit(Ranked("anything", "en"), [])


def test_any_of_several_gold_facts_counts():
    gold = [{"zh": "甲", "en": "alpha"}, {"zh": "乙", "en": "beta"}]
    assert is_hit(Ranked("the beta release", "en"), gold)


def test_first_hit_rank_is_one_based_and_bounded_by_k():
    ranking = [Ranked("nothing", "en"), Ranked("still nothing", "zh"), Ranked("80.2 percent", "en")]
    assert first_hit_rank(ranking, GOLD) == 3
    assert first_hit_rank(ranking, GOLD, k=2) is None
    assert first_hit_rank([], GOLD) is None


def test_hit_at_and_mrr_on_hand_made_ranks():
    ranks = [1, 2, None, 7]
    assert hit_at(ranks, 1) == pytest.approx(0.25)
    assert hit_at(ranks, 5) == pytest.approx(0.5)
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 2 + 0 + 1 / 7) / 4)
    assert mrr_at(ranks, 5) == pytest.approx((1 + 1 / 2) / 4)
    assert hit_at([], 5) == 0.0 and mrr_at([]) == 0.0


def test_abstention_precision_and_recall():
    flagged = [True, True, False, False, True]
    unanswerable = [True, False, True, False, True]
    summary = abstention_summary(flagged, unanswerable)
    assert summary["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert (summary["flagged_unanswerable"], summary["flagged_answerable"]) == (2, 1)
    assert abstention_summary([False, False], [True, False])["precision"] is None
    with pytest.raises(ValueError):
        abstention_summary([True], [True, False])


def test_modes_filter_to_no_language_the_same_or_the_other():
    assert [mode_lang(m, "en") for m in MODES] == [None, "en", "zh"]
    assert [mode_lang(m, "zh") for m in MODES] == [None, "zh", "en"]


def test_an_answer_counts_only_in_the_askers_language():
    question = Question(id="q", lang="zh", question="多少？", gold=[{"zh": "60%以上", "en": "over 60%"}])
    body = {"answer_lang": "zh", "answer": {"text": "覆盖全国60%以上的碳排放量。"}}
    assert answer_has_gold(body, question)
    assert not answer_has_gold({**body, "answer_lang": "en", "answer": {"text": "covers over 60%"}}, question)
    assert not answer_has_gold({"answer_lang": "zh", "answer": None}, question)
    assert not answer_has_gold({"answer_lang": "zh", "answer": {"text": "碳市场。"}}, question)


def test_a_malformed_question_line_names_its_line(tmp_path):
    path = tmp_path / "q.jsonl"
    good = {"id": "a", "lang": "en", "question": "q?", "gold": []}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "lang": "fr"}) + "\n")
    with pytest.raises(ValueError, match=r"q\.jsonl:2"):
        load_questions(path)
    path.write_text(json.dumps({"id": "a", "question": "no lang"}) + "\n")
    with pytest.raises(ValueError, match=r"q\.jsonl:1"):
        load_questions(path)


def test_eval_is_a_registered_command():
    result = CliRunner().invoke(cli, ["eval", "--help"])
    assert result.exit_code == 0
    assert "--url" in result.output and "--out" in result.output


def test_real_run_over_the_dev_set(service):
    path = DATA_DIR / "dev.jsonl"
    questions = load_questions(path)
    report = run_file(InProcessClient(service), path)
    assert report["questions"] == len(questions)
    assert report["answerable"] + report["unanswerable"] == len(questions)
    assert set(report["modes"]) == set(MODES)
    for figures in report["modes"].values():
        assert figures["questions"] == report["answerable"]
        assert 0 <= figures["hit@1"] <= figures["hit@5"] <= 1
        assert figures["hit@1"] <= figures["mrr@10"] <= 1
    assert report["modes"]["any"]["hit@5"] >= 0.9
    for signal in report["abstention"].values():
        assert signal["unanswerable"] == report["unanswerable"]
        assert len(signal["errors"]) == (
            signal["unanswerable"] - signal["flagged_unanswerable"] + signal["flagged_answerable"]
        )
    for miss in report["misses"]:
        assert miss["mode"] in MODES and miss["rank"] != 1
    answers = report["answers"]
    assert answers["answerable"] == report["answerable"]
    assert answers["with_gold"] + len(answers["misses"]) == answers["answerable"]
    assert answers["rate"] >= 0.75, answers["misses"]  # most answers quote the gold sentence
    assert report["server"]["status"] == "ready"
    assert "hit@1" in format_report(report)
    json.dumps(report)  # the report is what --out writes
