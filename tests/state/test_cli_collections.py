"""`qa collections` and `--collection`: a second collection gets its own folders, never the default's."""

from __future__ import annotations

from click.testing import CliRunner

from qa.cli import cli
from qa.settings import get_settings
from qa.store.collections import collection_root


def test_create_ingest_list_delete(cli_env, tiny_corpus, small_corpus, tmp_path):
    cli_env(small_corpus, tmp_path / "index")
    runner = CliRunner()
    assert runner.invoke(cli, ["collections", "create", "site-b", "--title", "Site B"]).exit_code == 0
    assert runner.invoke(cli, ["collections", "create", "site-b"]).exit_code == 1  # exists
    assert runner.invoke(cli, ["collections", "create", "../x"]).exit_code == 1
    before = sorted(p.name for p in small_corpus.iterdir())
    added = runner.invoke(cli, ["ingest", "--collection", "site-b", "--no-build", str(tiny_corpus / "tiny.zh-en.txt")])
    assert added.exit_code == 0, added.output
    root = collection_root(get_settings(), "site-b")
    assert [p.name for p in (root / "corpus").iterdir()] == ["tiny.zh-en.txt"]
    assert sorted(p.name for p in small_corpus.iterdir()) == before  # the default corpus is untouched
    listed = runner.invoke(cli, ["collections"]).output.splitlines()
    assert [line.split()[0] for line in listed] == ["default", "site-b"]
    unknown = runner.invoke(cli, ["search", "--collection", "nowhere", "碳达峰"])
    assert unknown.exit_code == 1 and "no collection named 'nowhere'" in unknown.output
    assert runner.invoke(cli, ["collections", "delete", "default"]).exit_code == 1
    assert runner.invoke(cli, ["collections", "delete", "site-b"]).exit_code == 0
    assert not root.exists()
