"""A corpus's own terms and synonyms: read from its folder, applied to index and questions alike."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.answer.extract import prepare_candidates
from qa.answer.question import read_question
from qa.cli import cli
from qa.corpus.store import corpus_checksum, load_documents
from qa.search.engine import SearchEngine
from qa.store.base import StoreStale
from qa.store.local.keyword import KeywordIndex
from qa.store.local.load import load_index
from qa.text import tokenize
from qa.text.terms import NO_TERMS, Terms, activate, read_terms
from tests.conftest import write_interleaved

TERMS = "# names the segmenter does not know\n宁德时代\n  \n鸿蒙系统 # trailing comment\n宁德时代\n"
SYNONYMS = "# groups\n光伏, 太陽能發電，photovoltaic\tsolar power\n单独一个词\n"  # a line with one member is no group
BODY = [
    "一、能源",
    "I. Energy",
    "屋顶光伏今年新增装机一百万千瓦。",
    "Rooftop photovoltaic capacity grew by one gigawatt this year.",
    "风电场多建在沿海地区。",
    "Wind farms are mostly built along the coast.",
    "城市公园的面积扩大了。",
    "City parks have grown larger.",
]


@pytest.fixture(autouse=True)
def no_terms_afterwards():
    """A search here activates this module's terms; later tests in this thread start without."""
    yield
    activate(NO_TERMS)


def write_terms(folder: Path, terms: str = TERMS, synonyms: str = SYNONYMS) -> None:
    (folder / "terms.txt").write_text(terms, encoding="utf-8")
    (folder / "synonyms.txt").write_text(synonyms, encoding="utf-8")


def test_the_files_are_read_with_comments_separators_and_duplicates_handled(tmp_path):
    write_terms(tmp_path)
    terms = read_terms(tmp_path)
    assert terms.words == ("宁德时代", "鸿蒙系统")
    assert terms.synonyms == (("光伏", "太陽能發電", "photovoltaic", "solar power"),)
    assert terms.checksum and read_terms(tmp_path / "missing") == NO_TERMS
    assert not read_terms(tmp_path / "missing")


def test_a_term_is_kept_whole_in_either_script():
    terms = Terms(words=("宁德时代",))
    assert "宁德时代" in tokenize("寧德時代的電池", terms)
    assert "宁德时代" not in tokenize("宁德时代的电池")  # the default dictionary cuts it up


def test_synonyms_become_one_token_whatever_the_script_or_language():
    terms = Terms(synonyms=(("光伏", "太陽能發電", "photovoltaic", "solar power"),))
    for text in ("太阳能发电", "太陽能發電", "光伏", "photovoltaics", "Solar power"):
        assert "光伏" in tokenize(text, terms), text
    assert "光伏" not in tokenize("solar heating and power", terms)  # a phrase only in order
    assert "光伏" not in tokenize("太阳能发电")  # without the group nothing is folded


def test_activated_terms_apply_here_and_in_a_context_that_searched_nothing():
    terms = Terms(synonyms=(("光伏", "太阳能发电"),), checksum="test")
    activate(terms)
    assert "光伏" in tokenize("太阳能发电")
    with ThreadPoolExecutor(1) as pool:  # a new thread starts with an empty context
        assert "光伏" in pool.submit(tokenize, "太阳能发电").result()
    activate(NO_TERMS)
    assert "光伏" not in tokenize("太阳能发电")


def test_a_synonym_reaches_the_keyword_path():
    terms = Terms(synonyms=(("光伏", "太阳能发电"),))
    texts = ["屋顶光伏今年新增装机一百万千瓦。", "风电场多建在沿海地区。"]
    question = "太阳能发电装了多少？"
    plain = KeywordIndex.build_from_tokens([tokenize(t, NO_TERMS) for t in texts])
    taught = KeywordIndex.build_from_tokens([tokenize(t, terms) for t in texts])
    assert plain.search([tokenize(question, NO_TERMS)], 2)[1][0][0] == -1
    assert taught.search([tokenize(question, terms)], 2)[1][0][0] == 0


def test_the_terms_files_are_not_documents_and_change_the_corpus_checksum(tmp_path):
    write_interleaved(tmp_path / "tiny.zh-en.txt", BODY)
    before = corpus_checksum(tmp_path)
    write_terms(tmp_path)
    assert [d.doc_id for d in load_documents(tmp_path)] == ["tiny"]
    after = corpus_checksum(tmp_path)
    assert after != before
    (tmp_path / "synonyms.txt").write_text("光伏, 太阳能\n", encoding="utf-8")
    assert corpus_checksum(tmp_path) != after


@pytest.fixture(scope="module")
def taught(tmp_path_factory, encoder) -> tuple[Path, Path, str]:
    """(corpus, index, `qa build` output) of a tiny corpus with terms files."""
    root = tmp_path_factory.mktemp("terms")
    corpus, index = root / "corpus", root / "index"
    corpus.mkdir()
    write_interleaved(corpus / "tiny.zh-en.txt", BODY)
    write_terms(corpus)
    with pytest.MonkeyPatch.context() as patch:
        from qa.settings import get_settings

        patch.setenv("QA_CORPUS_DIR", str(corpus))
        patch.setenv("QA_INDEX_DIR", str(index))
        get_settings.cache_clear()
        result = CliRunner().invoke(cli, ["build"])
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return corpus, index, result.output


def test_qa_build_says_how_many_terms_it_used_and_records_them(taught, encoder):
    corpus, index, output = taught
    assert "terms: 2 from terms.txt, 1 synonym group(s) from synonyms.txt" in output
    store = load_index(index, corpus, encoder.model_id)
    assert store.manifest["terms"]["terms"] == 2 and store.manifest["terms"]["synonym_groups"] == 1
    assert store.manifest["passage_count"] == 6  # 3 zh/en pairs: the terms files are no document


def test_editing_the_terms_makes_the_index_stale(taught, encoder, tmp_path):
    corpus, index, _ = taught
    copy = tmp_path / "corpus"
    copy.mkdir()
    for path in corpus.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    load_index(index, copy, encoder.model_id)
    (copy / "terms.txt").write_text("宁德时代\n", encoding="utf-8")
    with pytest.raises(StoreStale, match="changed"):
        load_index(index, copy, encoder.model_id)


def test_a_synonym_reaches_search_and_the_answer_sentence_choice(taught, encoder):
    corpus, index, _ = taught
    engine = SearchEngine(load_index(index, corpus, encoder.model_id), encoder)
    question = "太阳能发电今年新增装机多少？"
    result = engine.search(question, top_k=3, lang="zh")
    assert result.hits[0].passage.text.startswith("屋顶光伏")
    assert result.hits[0].keyword > 0
    # After the search the question and its sentences are tokenised with the index's terms.
    vec = engine.encode(question)
    reading = read_question(question, "zh")
    with_synonyms = prepare_candidates(engine.store, reading, vec, result.hits)[0].features["cover_own"]
    activate(NO_TERMS)  # as if the index had no terms
    without = prepare_candidates(engine.store, reading, vec, result.hits)[0].features["cover_own"]
    assert with_synonyms > without
