"""The docs match the code: every setting is documented, every documented command line parses,
the CLI reference is generated from the commands, every error code the app returns is in API.md."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import click
from click.testing import CliRunner

from qa.cli import cli
from qa.cli.reference import reference
from qa.settings import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
CLI_DOC = PROJECT_ROOT / "docs" / "cli.md"
# Every Markdown page a reader follows (the generated reference is checked on its own).
PAGES = [
    PROJECT_ROOT / "README.md",
    *sorted(p for p in (PROJECT_ROOT / "docs").glob("*.md") if p != CLI_DOC),
    *sorted((PROJECT_ROOT / "tests" / "data").rglob("README.md")),
]
# `qa …` or `python -m qa.cli …`, after optional VAR=value assignments and a `$ ` prompt.
COMMAND_LINE = re.compile(r"^(?:\$\s+)?(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:qa|python -m qa\.cli)\s+(.+)$")


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


def documented_command_lines(text: str) -> list[str]:
    """The argument lists of every `qa` command line in inline code or in a fenced block."""
    candidates = re.findall(r"(?<!`)`([^`\n]+)`(?!`)", text)
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
        candidates += re.sub(r"\\\n\s*", " ", block).splitlines()  # shell line continuations joined
    return [match.group(1) for line in candidates if (match := COMMAND_LINE.match(line.strip()))]


def parse_problem(arguments: str) -> str | None:
    """Why click refuses this command line (unknown command or option, a missing option value,
    extra arguments), or None when it parses. Values are not checked: docs use placeholders."""
    try:
        with cli.make_context("qa", shlex.split(arguments, comments=True)) as context:
            name, command, rest = cli.resolve_command(context, [*context._protected_args, *context.args])
            assert command is not None and name is not None
            command.make_context(name, rest, parent=context)
    except click.BadParameter:  # a placeholder value (FILE, K) or a file that is not there
        return None
    except click.UsageError as exc:
        return exc.format_message()
    except click.exceptions.Exit:  # --help, --version
        return None
    return None


def test_every_documented_command_line_parses():
    problems = {}
    for page in PAGES:
        for arguments in documented_command_lines(page.read_text(encoding="utf-8")):
            problem = parse_problem(arguments)
            if problem:
                problems[f"{page.relative_to(PROJECT_ROOT)}: qa {arguments}"] = problem
    assert problems == {}


def test_the_command_line_check_finds_the_pages_commands_and_can_fail():
    lines = documented_command_lines(README)
    assert {line.split()[0] for line in lines} >= {"search", "build", "ingest", "eval", "bench", "serve"}
    assert parse_problem("eval --folds 5 --fit") == "Option '--fit' requires an argument."
    assert "No such option" in parse_problem("search question --no-such-flag")
    assert parse_problem("ingest --zh a.pdf --en b.html --doc-id report") is None


def test_the_cli_reference_is_generated_from_the_commands():
    assert CLI_DOC.read_text(encoding="utf-8") == reference(), (
        "docs/cli.md is stale: python -m qa.cli.reference > docs/cli.md"
    )


def test_readme_commands_point_at_real_scripts():
    for script in re.findall(r"\./(scripts/[\w.-]+\.sh)", README):
        assert (PROJECT_ROOT / script).exists(), script
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "scripts/test.sh" in ci, ".ci/run runs the README's test command"


API_DOC = (PROJECT_ROOT / "docs" / "API.md").read_text(encoding="utf-8")
# Generated API docs pages are not part of the contract.
UNDOCUMENTED_OK = {"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}


def _app_routes() -> set[tuple[str, str]]:
    from fastapi.routing import APIRoute
    from starlette.routing import Route

    from qa.api.app import create_app

    def walk(routes, prefix=""):
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI's lazily included router
            if included is not None:
                yield from walk(included.routes, prefix + route.include_context.prefix)
            elif isinstance(route, (APIRoute, Route)):
                yield prefix + route.path, route.methods or set()

    app = create_app(Settings(auto_build=False))
    return {
        (method, path)
        for path, methods in walk(app.routes)
        for method in methods
        if method != "HEAD" and path not in UNDOCUMENTED_OK and not path.startswith("/docs/")
    }


def test_every_route_of_the_app_is_in_api_md_and_back():
    documented = set(re.findall(r"\b(GET|POST|DELETE|PUT|PATCH) (/[\w/{}.-]*)", API_DOC))
    served = _app_routes()
    assert served - documented == set(), "routes missing from docs/API.md"
    assert documented - served == set(), "docs/API.md documents routes the app does not serve"


def error_codes(source: str) -> set[tuple[int | None, str]]:
    """(status, code) of every error the module can return: ApiError(…)/error_response(…) calls
    with literal arguments, status → code tables, and, in modules that build errors, `code = "…"`
    choices and `return "code", message` helpers (status unknown)."""
    found: set[tuple[int | None, str]] = set()
    builds_errors = "ApiError(" in source or "error_response(" in source
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("ApiError", "error_response")
            and len(node.args) >= 2
        ):
            status, code = node.args[0], node.args[1]
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                found.add((status.value if isinstance(status, ast.Constant) else None, code.value))
        elif (
            isinstance(node, ast.Dict)
            and node.keys
            and all(
                isinstance(k, ast.Constant) and isinstance(k.value, int) and 400 <= k.value < 600 for k in node.keys
            )
        ):
            found |= {
                (k.value, v.value)
                for k, v in zip(node.keys, node.values)
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            }
        elif (
            builds_errors
            and isinstance(node, ast.Assign)
            and any(getattr(t, "id", None) == "code" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            found.add((None, node.value.value))
        elif builds_errors and isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            found |= {
                (None, e.value)
                for e in node.value.elts
                if isinstance(e, ast.Constant)
                and isinstance(e.value, str)
                and re.fullmatch(r"[a-z]+(_[a-z]+)+", e.value)
            }
    return found


def undocumented(codes: set[tuple[int | None, str]], doc: str) -> set[str]:
    return {
        f"{status or ''} {code}".strip()
        for status, code in codes
        if not re.search(rf"\b{re.escape(code)}\b", doc) or (status is not None and str(status) not in doc)
    }


def test_every_error_code_the_app_can_return_is_in_api_md():
    codes: set[tuple[int | None, str]] = set()
    for path in sorted((PROJECT_ROOT / "qa").rglob("*.py")):
        codes |= error_codes(path.read_text(encoding="utf-8"))
    assert {(404, "not_found"), (422, "invalid_request"), (None, "json_too_deep")} <= codes, (
        "the reader finds the app's errors"
    )
    assert undocumented(codes, API_DOC) == set(), "error codes missing from docs/API.md"


def test_the_error_code_reader_sees_every_form(tmp_path: Path):
    source = """
TABLE = {418: "teapot"}
def describe():
    return "", "made_here", "a message"
def f(status):
    code = "chosen_later"
    raise ApiError(409, "conflicting", "m")
    return errors.error_response(status, "any_status", "m")
"""
    codes = error_codes(source)
    assert codes == {
        (418, "teapot"),
        (None, "chosen_later"),
        (409, "conflicting"),
        (None, "any_status"),
        (None, "made_here"),
    }
    assert undocumented(codes, "`conflicting` 409, `teapot` 418, any_status, made_here") == {"chosen_later"}
