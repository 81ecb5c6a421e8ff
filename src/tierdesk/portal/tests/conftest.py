from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from tierdesk.accounts.models import User
from tierdesk.org.models import Service
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, create_ticket
from tierdesk.web.tests.browser import CHROMIUM, CHROMIUM_ARGS, page, watch

__all__ = ["page", "watch"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The workspace's Chromium set-up (``page`` and ``watch`` are its fixtures), held for one
    module only: a second session-scoped Playwright in the same process cannot start while
    the workspace tests' one is alive. To go once the fixtures are registered from the root
    conftest for every app."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (Debian package 'chromium')")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Keep each phase's report on the test item: the browser fixture screenshots failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def services(db: None) -> list[Service]:
    return [
        Service.objects.create(slug="email", name="Email and calendar"),
        Service.objects.create(slug="vpn", name="VPN and remote access"),
    ]


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    """A browser-like client signed in as ``user`` (CSRF checks on, as in a browser)."""

    def make(user: User) -> Client:
        client = Client(enforce_csrf_checks=True)
        # The stored row, not the factory's object: build_org's factory sets the password
        # after saving, so the in-memory hash would not match the session's.
        client.force_login(User.objects.get(pk=user.pk))
        return client

    return make


@pytest.fixture
def ticket_for(db: None) -> Callable[..., Ticket]:
    def make(requester: User, title: str = "Laptop will not start", **fields: str) -> Ticket:
        return create_ticket(
            NewTicket(title=title, description=fields.pop("description", "It beeps."), **fields),
            requester=requester,
        )

    return make
