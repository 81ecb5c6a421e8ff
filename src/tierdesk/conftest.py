from __future__ import annotations

import os
from collections.abc import Callable, Generator
from typing import Any

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from tierdesk.accounts.models import User
from tierdesk.accounts.tokens import create_token
from tierdesk.testing import Org, build_org
from tierdesk.web.tests.browser import browser, page, watch

# Hypothesis' default 200 ms deadline per example is a wall-clock bound, and a loaded CI
# machine fails it at random; performance lives in the benchmarks, not in tests.
hypothesis_settings.register_profile("tierdesk", deadline=None)
hypothesis_settings.load_profile("tierdesk")

__all__ = ["browser", "page", "watch"]

REQUIRE_ALL = os.environ.get("TIERDESK_REQUIRE_ALL") == "1"


@pytest.fixture(autouse=True)
def _fast_and_immediate(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def org(db: None) -> Org:
    return build_org()


class ApiClient:
    """Speaks to /api/v1/ over the real Django stack with a real bearer token."""

    def __init__(self, user: User | None) -> None:
        self.client = Client()
        self.token = create_token(user) if user else None

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self._headers(None))

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            f"/api/v1{path}", body, content_type="application/json", headers=self._headers(headers)
        )

    def patch(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(
            f"/api/v1{path}", body, content_type="application/json", headers=self._headers(headers)
        )


@pytest.fixture
def api_as(db: None) -> Callable[[User | None], ApiClient]:
    return ApiClient


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test item: the browser fixture screenshots failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if REQUIRE_ALL and skipped and exitstatus == 0:
        if reporter:
            reporter.write_line(
                f"TIERDESK_REQUIRE_ALL=1: {skipped} test(s) skipped; every test must run here",
                red=True,
            )
        session.exitstatus = 1
