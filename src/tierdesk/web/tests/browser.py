"""Playwright fixtures for the web UI, driving Debian's Chromium against ``live_server``.

Reusable by other apps' browser tests (the portal's): import the fixtures into a conftest and
sign people in with :func:`sign_in`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[4]
RESULTS_DIR = REPO / "test-results"
VIEWPORT = {"width": 1280, "height": 800}


@dataclass
class PageWatch:
    """What a page did that a test should know about: dialogs and console complaints."""

    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole run (registered for every app by the root conftest):
    Playwright's sync API cannot start a second instance while one is alive."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Chromium at {CHROMIUM} (Debian package 'chromium'); "
            "CI treats this skip as a failure"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between browser steps are still plain synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(
    browser: Any, live_server: Any, watch: PageWatch, request: pytest.FixtureRequest
) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    tab = context.new_page()
    tab.set_default_timeout(10_000)

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: Any) -> None:
        if message.type == "error":
            watch.console_errors.append(message.text)

    tab.on("dialog", on_dialog)
    tab.on("console", on_console)
    try:
        yield tab
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            tab.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
        context.close()


def sign_in(page: Any, username: str, password: str) -> None:
    """Sign in through the real login form and wait for the landing page."""
    page.goto("/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/login/" in page.url:
        raise AssertionError(f"sign-in as {username} failed: {page.url}")
