"""Browser fixtures: the real server in a subprocess, a host page on another origin, Chromium.

Everything talks to 127.0.0.1 only, and every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from qa.bench.stats import free_port
from qa.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
# axe-core from npm, installed by scripts/browser-deps.sh (git-ignored).
AXE = PROJECT_ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# A first start may build an index (~30 s, more on a busy 2-core CI box).
STARTUP_TIMEOUT_S = 240
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DATA = Path(__file__).parent / "data"


class ApiServer:
    """`uvicorn qa.api.app:create_app --factory` in a subprocess; stop() and start() again at will."""

    def __init__(self, corpus_dir: Path, index_dir: Path, cors_origins: list[str], log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        env.update(
            QA_CORPUS_DIR=str(corpus_dir),
            QA_INDEX_DIR=str(index_dir),
            QA_CORS_ORIGINS=",".join(cors_origins),
            QA_THREADS="2",
        )
        self.env = env
        self.process: subprocess.Popen | None = None
        self.rate_burst: int | None = None  # set with QA_RATE_LIMIT_BURST in env

    def start(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "qa.api.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=PROJECT_ROOT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"server not ready within {timeout:.0f} s; see {self.log_path}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def ask(self, question: str, history: list[str] | None = None) -> dict:
        """The API's own answer, to compare with what the widget shows."""
        body = {"question": question, **({"history": history} if history else {})}
        response = httpx.post(f"{self.url}/v1/ask", json=body, timeout=60)
        response.raise_for_status()
        return response.json()


class HostSite:
    """Another origin (its own port) serving pages that embed the widget with the one tag."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "not found").encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add_page(self, path: str, api_url: str, lang: str = "en", extra: str = "") -> str:
        self.pages[path] = HOST_PAGE.format(lang=lang, api=api_url, extra=extra)
        return self.origin + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# A host page with hostile CSS of its own: the widget's shadow root must keep it out.
HOST_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Host page</title>
<style>
  body {{ font-family: serif; color: #333; margin: 40px; }}
  button {{ background: rgb(255, 105, 180) !important; font-size: 30px; }}
  p {{ color: rgb(255, 0, 0); }}
</style>
<script src="{api}/widget.js" data-api="{api}" {extra} defer></script>
</head><body>
<h1>Somebody's site</h1>
<p>The widget sits in the corner of this page, which lives on a different origin than the API.</p>
<a href="other.html">Another page</a>
</body></html>
"""


def missing_tool(message: str) -> None:
    """Skip on a developer's machine without the browser tools; in CI (CI=true, where
    scripts/test.sh installs them) a missing tool is a failure, never a silent skip."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_installed() -> Path:
    if not CHROMIUM.exists():
        missing_tool(f"{CHROMIUM} is missing: run scripts/browser-deps.sh to install Debian's chromium")
    return CHROMIUM


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in this thread
# while it is open, and later modules (load, bench) need asyncio.run().
@pytest.fixture(scope="module")
def chromium(chromium_installed):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def host_site():
    site = HostSite()
    yield site
    site.close()


def server_log(tmp_path_factory, name: str) -> Path:
    return tmp_path_factory.mktemp("logs") / f"{name}.log"


@pytest.fixture(scope="session")
def demo_server(chromium_installed, host_site, settings, service, tmp_path_factory):
    """The demo corpus; its index is the one the session's `service` fixture built (no second build)."""
    server = ApiServer(
        settings.corpus_dir, settings.index_dir, [host_site.origin], server_log(tmp_path_factory, "demo-server")
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hostile_server(chromium_installed, host_site, tmp_path_factory):
    """A tiny zh/en document full of markup, behind widget keys with a small rate-limit burst."""
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    shutil.copy(DATA / "hostile.zh-en.txt", corpus)
    server = ApiServer(
        corpus,
        tmp_path_factory.mktemp("hostile-index"),
        [host_site.origin],
        server_log(tmp_path_factory, "hostile-server"),
    )
    server.rate_burst = 4  # per key: one /v1/documents when the panel opens, then asks
    server.env.update(
        QA_WIDGET_KEYS="hostile-key,limit-key", QA_RATE_LIMIT_PER_MINUTE="1", QA_RATE_LIMIT_BURST=str(server.rate_burst)
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api(demo_server: ApiServer) -> ApiServer:
    """The demo server, started again if a test stopped it."""
    if not demo_server.running:
        demo_server.start()
    return demo_server


@pytest.fixture
def page(chromium):
    context = chromium.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-US", reduced_motion="reduce"
    )  # no smooth scrolling mid-assertion
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def axe_source(chromium_installed) -> str:
    if not AXE.exists():
        missing_tool(f"{AXE} is missing: run scripts/browser-deps.sh to install axe-core from npm")
    return AXE.read_text(encoding="utf-8")


def run_axe(page, axe_source: str) -> list[dict]:
    """axe-core's violations on the page as it is now, shadow roots included.

    Evaluated through the DevTools protocol, so the demo page's CSP does not block it. The
    experimental label-content-name-mismatch rule (WCAG 2.5.3) is switched on as well.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    return page.evaluate("""async () => {
        const result = await axe.run(document, {
            resultTypes: ["violations"],
            rules: { "label-content-name-mismatch": { enabled: true } },
        });
        return result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({ target: n.target, summary: n.failureSummary })) }));
    }""")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class Widget:
    """The <qa-chat> on a page, through the stable data-role hooks of its shadow root."""

    ASK_TIMEOUT_MS = 90_000  # one /v1/ask on a busy 2-core box, with margin

    def __init__(self, page):
        self.page = page
        self.bot_messages = self.role("message").and_(page.locator('[data-from="bot"]'))
        self.user_messages = self.role("message").and_(page.locator('[data-from="user"]'))

    def role(self, name: str):
        return self.page.locator(f'qa-chat [data-role="{name}"]')

    def open(self, url: str) -> Widget:
        from playwright.sync_api import expect

        self.page.goto(url)
        self.role("launcher").click()
        expect(self.role("panel")).to_be_visible()
        return self

    def ask(self, question: str):
        """Type the question, press Enter, wait for the bot's reply and return it."""
        from playwright.sync_api import expect

        before = self.bot_messages.count()
        self.role("input").fill(question)
        self.role("input").press("Enter")
        expect(self.bot_messages).to_have_count(before + 1, timeout=self.ASK_TIMEOUT_MS)
        return self.bot_messages.nth(before)

    def shadow_eval(self, expression: str):
        """Evaluate `expression` with `root` bound to the widget's shadow root."""
        return self.page.evaluate(
            f"() => {{ const root = document.querySelector('qa-chat').shadowRoot; return {expression}; }}"
        )


@pytest.fixture
def widget(page) -> Widget:
    return Widget(page)
