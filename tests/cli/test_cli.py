"""The `qa` command line: search (human and --json) over the session index, and build."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from qa.cli import cli
from tests.conftest import CORPUS_DIR, PAPER, TINY_SECTION, paper_excerpt, swap_english, write_interleaved

QUESTION = "中国的非化石能源消费比重是多少？"


@pytest.fixture
def qa(service, settings, cli_env):
    """Run `qa ARGS…` in-process against the session's demo index (already built by `service`)."""
    cli_env(CORPUS_DIR, settings.index_dir)

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    return run


def test_search_json_has_the_api_shape(qa, client):
    out = json.loads(qa("search", QUESTION, "--json"))
    assert {"query", "query_lang", "took_ms", "results"} <= set(out)
    assert out["query_lang"] == "zh"
    assert [r["rank"] for r in out["results"]] == [1, 2, 3, 4, 5]
    api = client.post("/v1/search", json={"query": QUESTION}).json()
    # Same engine, same index: the CLI and the API rank the same passages.
    assert [r["passage_id"] for r in out["results"]] == [r["passage_id"] for r in api["results"]]
    assert out["results"][0] == api["results"][0]


def test_search_prints_rank_score_citation_text_and_translation(qa, client):
    out = qa("search", QUESTION, "-k", "2")
    top = client.post("/v1/search", json={"query": QUESTION, "top_k": 2}).json()["results"]
    for hit in top:
        header = f"{hit['rank']}. [{hit['score']:.3f}] {hit['citation']['label']}"
        assert header in out
        assert hit["text"][:20] in out.replace("\n   ", "")  # text is wrapped and indented
        assert "↳ " + hit["translations"][0]["text"][:15] in out
    assert not re.search(r"^3\. ", out, re.MULTILINE)


def test_search_with_a_language_and_k(qa):
    out = json.loads(qa("search", "When will China peak its carbon emissions?", "--lang", "zh", "-k", "2", "--json"))
    assert len(out["results"]) == 2
    assert {r["lang"] for r in out["results"]} == {"zh"}
    assert all(r["passage_id"].startswith(f"{PAPER}.zh.") for r in out["results"])


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "   "], "empty"),
        (["search", "carbon", "-k", "0"], "range"),
        (["search", "carbon", "--lang", "fr"], "fr"),
    ],
)
def test_bad_search_arguments_fail_with_a_message(qa, args, message):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0
    assert message in result.output


def test_build_prints_passage_counts_and_alignment_summary(tiny_corpus, tmp_path, cli_env):
    cli_env(tiny_corpus, tmp_path / "index")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    assert re.search(r"8 passages \(zh 4, en 4\) from 1 document\(s\)", result.output), result.output
    assert re.search(r"alignment: 4 units, similarity min 0\.\d+ / mean 0\.\d+, 0 low-confidence", result.output), (
        result.output
    )
    assert (tmp_path / "index" / "CURRENT").is_file()


def test_build_names_the_units_it_doubts(tiny_corpus, tmp_path, cli_env):
    write_interleaved(tiny_corpus / "tiny.zh-en.txt", swap_english(paper_excerpt(*TINY_SECTION), 0, 1))
    cli_env(tiny_corpus, tmp_path / "index")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    assert "2 low-confidence" in result.output
    assert "check: ['tiny.zh.0001'] ↔ ['tiny.en.0001']" in result.output


def test_build_of_an_empty_corpus_fails_with_a_message(tmp_path, cli_env):
    (tmp_path / "corpus").mkdir()
    cli_env(tmp_path / "corpus", tmp_path / "index")
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "no passages found" in result.output


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, "2"),  # QA_THREADS' default
        ({"QA_THREADS": "1"}, "1"),
        ({"QA_THREADS": "1", "OMP_NUM_THREADS": "4"}, "1"),  # our setting beats an inherited one
        ({"OMP_NUM_THREADS": "3"}, "3"),  # an operator's explicit choice stays
    ],
)
def test_qa_threads_sizes_the_native_thread_pools_before_they_load(env, expected):
    """Workers × threads must not exceed the cores, so QA_THREADS has to reach OpenMP itself."""
    base = {k: v for k, v in os.environ.items() if k not in ("QA_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run(
        [sys.executable, "-c", "import os, qa; print(os.environ['OMP_NUM_THREADS'])"],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == expected


def test_search_filter_keeps_to_the_named_documents_and_refuses_unknown_fields(cli_env, tmp_path):
    from tests.test_filters_api import corpus_of

    cli_env(corpus_of(tmp_path / "corpus", ["danube", "himalayas"]), tmp_path / "index")
    runner = CliRunner()
    assert runner.invoke(cli, ["build"]).exit_code == 0
    found = runner.invoke(cli, ["search", "Which river flows through Europe?", "--filter", "tags=internal", "--json"])
    assert found.exit_code == 0, found.output
    hits = json.loads(found.output)["results"]
    assert hits and {h["doc_id"] for h in hits} == {"himalayas"} and hits[0]["metadata"]["tags"] == ["internal"]
    refused = runner.invoke(cli, ["search", "river", "--filter", "colour=red"])
    assert refused.exit_code == 1 and "colour" in refused.output
    assert runner.invoke(cli, ["search", "river", "--filter", "tags"]).exit_code == 1
