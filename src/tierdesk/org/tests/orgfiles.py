"""Shared helpers for the org-file tests: the example organisation and small variations."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from tierdesk.org import orgfile

EXAMPLE_PATH = Path(__file__).resolve().parents[4] / "examples" / "org.yaml"
EXAMPLE = EXAMPLE_PATH.read_text(encoding="utf-8")

MINIMAL = """\
teams:
  - slug: desk
    name: Service desk
    kind: service_desk
  - slug: l2
    name: L2
    kind: tier
    level: 2
    parent: desk
people:
  - {username: tom, email: tom@example.com, role: agent, teams: [desk]}
  - {username: sam, email: sam@example.com, role: agent, teams: [l2], manager: tom}
"""


def example_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE)
    return copy.deepcopy(data)


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def applied(text: str) -> orgfile.Outcome:
    """Apply ``text`` and fail the test with the file's own messages if it has problems."""
    outcome = orgfile.apply(text)
    assert outcome.ok, "\n".join(issue.format("org.yaml") for issue in outcome.issues)
    return outcome


def problems(text: str) -> list[str]:
    outcome = orgfile.plan_text(text)
    return [issue.format("org.yaml") for issue in outcome.issues]


def entry(data: dict[str, Any], section: str, key: str, value: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in data[section] if e[key] == value)
    return found
