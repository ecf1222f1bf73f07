"""`qa keys create|list|revoke` on the state store of the current settings."""

from __future__ import annotations

import json

from click.testing import CliRunner

from qa.cli import cli
from qa.settings import get_settings
from qa.state import open_state
from qa.state.keys import active_keys, hash_secret


def test_create_list_revoke(cli_env, tiny_corpus, tmp_path):
    cli_env(tiny_corpus, tmp_path / "index")
    runner = CliRunner()
    made = runner.invoke(
        cli,
        [
            "keys",
            "create",
            "--scope",
            "search,ask",
            "--origin",
            "https://a.example",
            "--rate-per-minute",
            "30",
            "--name",
            "site A",
        ],
    )
    assert made.exit_code == 0, made.output
    created = json.loads(made.output)
    assert created["scopes"] == ["ask", "search"] and created["origins"] == ["https://a.example"]
    with open_state(get_settings()).session() as session:
        assert [k.secret_hash for k in active_keys(session)] == [hash_secret(created["key"])]
    listed = runner.invoke(cli, ["keys", "list", "--json"])
    assert [k["id"] for k in json.loads(listed.output)] == [created["id"]]
    assert created["key"] not in listed.output
    assert runner.invoke(cli, ["keys", "revoke", created["id"]]).exit_code == 0
    assert json.loads(runner.invoke(cli, ["keys", "list", "--json"]).output) == []
    assert runner.invoke(cli, ["keys", "revoke", created["id"] + "x"]).exit_code == 1


def test_bad_options_say_what_is_wrong(cli_env, tiny_corpus, tmp_path):
    cli_env(tiny_corpus, tmp_path / "index")
    runner = CliRunner()
    bad = runner.invoke(cli, ["keys", "create", "--scope", "fly"])
    assert bad.exit_code == 1 and "scopes" in bad.output
    late = runner.invoke(cli, ["keys", "create", "--scope", "search", "--expires-at", "2001-01-01T00:00:00Z"])
    assert late.exit_code == 1 and "future" in late.output


def test_create_a_key_with_a_filter(cli_env, tiny_corpus, tmp_path):
    cli_env(tiny_corpus, tmp_path / "index")
    runner = CliRunner()
    made = runner.invoke(
        cli, ["keys", "create", "--scope", "search", "--filter", "tags=public", "--filter", "tags=news"]
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["filter"] == {"tags": ["public", "news"]}
    bad = runner.invoke(cli, ["keys", "create", "--scope", "search", "--filter", "bad field=x"])
    assert bad.exit_code == 1 and "bad field" in bad.output
