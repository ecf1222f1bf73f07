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
    return {(method, path) for path, methods in walk(app.routes) for method in methods
            if method != "HEAD" and path not in UNDOCUMENTED_OK and not path.startswith("/docs/")}


def test_every_route_of_the_app_is_in_api_md_and_back():
    documented = set(re.findall(r"\b(GET|POST|DELETE|PUT|PATCH) (/[\w/{}.-]*)", API_DOC))
    served = _app_routes()
    assert served - documented == set(), "routes missing from docs/API.md"
    assert documented - served == set(), "docs/API.md documents routes the app does not serve"


def test_every_error_code_the_api_raises_is_in_api_md():
    raised = set()
    for path in (PROJECT_ROOT / "qa" / "api").rglob("*.py"):
        raised |= set(re.findall(r'ApiError\(\s*(\d{3}),\s*"([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert raised, "the pattern finds the API's errors"
    missing = {f"{status} {code}" for status, code in raised if code not in API_DOC or status not in API_DOC}
    assert missing == set(), "error codes missing from docs/API.md"
