"""Real Chromium against a real server: Debian's /usr/bin/chromium driven by Playwright.

Playwright cannot download its own browser here, so it launches the system one.
Screenshots land in tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
TABLET_VIEWPORTS = {"portrait": (820, 1180), "landscape": (1180, 820)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(port: int) -> list[str]:
    """What `make run` runs: the ASGI app under uvicorn (here on loopback only)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "audit.ui.server:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]


class Server:
    def __init__(self, db_path: Path | str, log: Path | None = None, **environment: str):
        """`db_path` is a file, or a lake's AUDIT_DB (then `log` says where the server's output goes)."""
        self.db_path = db_path
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            AUDIT_DB=str(db_path),
            PYTHONPATH=str(ROOT),
            STREAMLIT_SERVER_FILE_WATCHER_TYPE="none",
            **environment,
        )
        self.log = open(log or db_path.with_suffix(".server.log"), "w")  # noqa: SIM115 - open while the server runs
        self.process = subprocess.Popen(
            server_command(self.port), cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the app did not start; see {self.log.name}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def start_server(tmp_path):
    """Start the app on a database prepared by the test; the server holds the file from then on."""
    servers: list[Server] = []

    def start(db_path: Path | str, log: Path | None = None, **environment: str) -> Server:
        server = Server(db_path, log, **environment)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(params=list(TABLET_VIEWPORTS))
def tablet(request, browser):
    """A fresh page at a tablet viewport, portrait and landscape, Chinese locale."""
    width, height = TABLET_VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.viewport_name = request.param
    yield page
    context.close()


def wait_for_app(page) -> None:
    """Streamlit draws after its websocket connects: wait for content, never a fixed sleep."""
    page.wait_for_selector("[data-testid='stMainBlockContainer']", timeout=30_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{page.viewport_name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def account(db_path: Path, role: str, unit: str | None = None) -> tuple[str, str]:
    """Create an account through the service before the server starts; returns (username, password)."""
    from audit.services.accounts import add_user, generate_password
    from audit.store import open_database

    username, password = f"e2e-{role}", generate_password()
    database = open_database(db_path)
    try:
        add_user(
            database,
            None,
            username=username,
            role=role,
            password=password,
            unit=unit or ("光明社区居委会" if role == "unit" else None),
        )
    finally:
        database.close()
    return username, password


def sign_in(page, server_url: str, username: str, password: str) -> None:
    """Open the app, fill the sign-in form and wait until the session is signed in.

    A browser still signed in by its session cookie forgets it first, so the account is the one given.
    """
    page.goto(server_url)
    page.locator(".st-key-sign_out, [data-testid='stBaseButton-primaryFormSubmit']").first.wait_for(timeout=30_000)
    wait_for_app(page)
    if page.locator(".st-key-sign_out").count():  # a new page load without the cookie is signed out
        page.context.clear_cookies()
        page.goto(server_url)
        page.get_by_test_id("stBaseButton-primaryFormSubmit").wait_for(timeout=30_000)
        wait_for_app(page)
    fields = page.get_by_test_id("stTextInput").locator("input")
    fields.nth(0).fill(username)
    fields.nth(1).fill(password)
    page.get_by_test_id("stBaseButton-primaryFormSubmit").click()
    page.locator(".st-key-sign_out").wait_for(timeout=30_000)
    wait_for_app(page)
