"""The docs match the code: every setting is documented, the README's commands exist."""

from __future__ import annotations

import re

from click.testing import CliRunner

from qa.cli import cli
from qa.settings import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_configuration_table():
    documented = set(re.findall(r"`(QA_[A-Z_]+)`", README))
    expected = {f"QA_{name.upper()}" for name in Settings.model_fields}
    assert expected - documented == set(), "settings missing from README"
    assert documented - expected == set(), "README documents settings that do not exist"


def test_every_qa_subcommand_in_the_readme_exists():
    used = set(re.findall(r"^qa ([a-z]+)", README, flags=re.MULTILINE))
    assert {"search", "build", "ingest", "eval", "bench", "serve"} <= used
    for command in used:
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0, f"`qa {command}` in README: {result.output}"


def test_readme_commands_point_at_real_scripts():
    for script in re.findall(r"\./(scripts/[\w.-]+\.sh)", README):
        assert (PROJECT_ROOT / script).exists(), script
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "scripts/test.sh" in ci, ".ci/run runs the README's test command"
