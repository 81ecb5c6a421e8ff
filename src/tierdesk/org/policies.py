"""Desk-wide policies with their defaults, stored in :class:`DeskPolicy` rows.

Read through the functions here, never from the table directly, so that every caller gets
the same validated value and the same default.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection

from tierdesk.core.errors import InvalidInput
from tierdesk.core.rows import json_value
from tierdesk.core.scoped import bound

LEVELS = ("high", "medium", "low")
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
STATUSES = (
    "new",
    "assigned",
    "in_progress",
    "waiting_on_customer",
    "waiting_on_third_party",
    "resolved",
    "closed",
    "cancelled",
)

FINAL_STATUSES = ("closed", "cancelled")

DEFAULT_PRIORITY_MATRIX: dict[str, dict[str, str]] = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P5"},
}  # impact -> urgency -> priority (ITIL)

_WORKING = ["in_progress", "waiting_on_customer", "waiting_on_third_party", "resolved", "cancelled"]
_WAITING = ["in_progress", "resolved", "cancelled"]
DEFAULT_TRANSITIONS: dict[str, list[str]] = {
    "new": ["assigned", *_WORKING],
    "assigned": ["new", *_WORKING],
    "in_progress": ["waiting_on_customer", "waiting_on_third_party", "resolved", "cancelled"],
    "waiting_on_customer": _WAITING,
    "waiting_on_third_party": _WAITING,
    "resolved": ["closed", "in_progress"],
    "closed": [],
    "cancelled": [],
}

DEFAULTS: dict[str, Any] = {
    "priority_matrix": DEFAULT_PRIORITY_MATRIX,
    "transitions": DEFAULT_TRANSITIONS,
    "security_visible_roles": ["incident_manager", "it_manager", "cio", "auditor"],
    "requesters_see_organisation": False,
    "requesters_see_agent_names": True,
    "reopen_days": 7,
    "auto_close_days": 5,
}


def validate(key: str, value: Any) -> Any:
    """Return ``value`` if it is a valid setting for ``key``; else raise naming the problem."""
    if key not in DEFAULTS:
        raise InvalidInput(
            f"unknown policy {key!r}; known: {', '.join(sorted(DEFAULTS))}", field=key
        )
    if key == "priority_matrix":
        _validate_matrix(value)
    elif key == "transitions":
        _validate_transitions(value)
    elif key == "security_visible_roles":
        from tierdesk.accounts.models import Role

        if not isinstance(value, list) or any(role not in Role.values for role in value):
            raise InvalidInput(f"{key}: a list of roles from {', '.join(Role.values)}", field=key)
    elif key in ("requesters_see_organisation", "requesters_see_agent_names"):
        if not isinstance(value, bool):
            raise InvalidInput(f"{key}: expected true or false", field=key)
    elif key in ("reopen_days", "auto_close_days") and (
        not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 365
    ):
        raise InvalidInput(f"{key}: expected a whole number of days from 0 to 365", field=key)
    return value


def _validate_matrix(value: Any) -> None:
    if not isinstance(value, Mapping) or set(value) != set(LEVELS):
        raise InvalidInput(
            "priority_matrix: needs impact rows high, medium and low", field="priority_matrix"
        )
    for impact, row in value.items():
        if not isinstance(row, Mapping) or set(row) != set(LEVELS):
            raise InvalidInput(
                f"priority_matrix.{impact}: needs urgency high, medium and low",
                field="priority_matrix",
            )
        for urgency, priority in row.items():
            if priority not in PRIORITIES:
                raise InvalidInput(
                    f"priority_matrix.{impact}.{urgency}: {priority!r} is not one of P1–P5",
                    field="priority_matrix",
                )


def _validate_transitions(value: Any) -> None:
    if not isinstance(value, Mapping) or set(value) != set(STATUSES):
        raise InvalidInput(
            f"transitions: needs exactly the statuses {', '.join(STATUSES)}", field="transitions"
        )
    for source, targets in value.items():
        if source in FINAL_STATUSES and targets:
            raise InvalidInput(
                f"transitions.{source}: {source} is final; it cannot lead anywhere",
                field="transitions",
            )
        if not isinstance(targets, list) or any(t not in STATUSES or t == source for t in targets):
            raise InvalidInput(
                f"transitions.{source}: a list of other statuses", field="transitions"
            )


_pinned: ContextVar[dict[str, Any] | None] = ContextVar("desk_policies", default=None)


def _load() -> dict[str, Any]:
    """Every row: the policies, and the internal rows read with them (mail addresses, the
    configuration generation) so that one query serves them all.

    Raw SQL, because every request reads them: the ORM's values query cost ten times its
    own execution to build."""
    from tierdesk.org.models import DeskPolicy

    table, quote = DeskPolicy._meta.db_table, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('key')}, {quote('value')} FROM {quote(table)}")
        rows = cursor.fetchall()
    return {key: json_value(raw) for key, raw in rows}


@contextmanager
def pinned() -> Iterator[None]:
    """Read the policies at most once inside this block (one request, one scheduler tick).

    Policies are configuration that changes by an org-file apply; within one request a
    consistent view matters more than seeing a change that lands mid-request.
    """
    with bound(_pinned, {}):
        yield


def _values() -> dict[str, Any]:
    holder = _pinned.get()
    if holder is None:
        return _load()
    if "\0loaded" not in holder:
        holder.update(_load())
        holder["\0loaded"] = True
    return holder


def get(key: str) -> Any:
    return _values().get(key, DEFAULTS[key])


def get_raw(key: str) -> Any:
    """An internal row stored beside the policies (no default), read in the same query."""
    return _values().get(key)


def priority_matrix() -> dict[str, dict[str, str]]:
    matrix: dict[str, dict[str, str]] = get("priority_matrix")
    return matrix


def transitions() -> dict[str, list[str]]:
    table: dict[str, list[str]] = get("transitions")
    return table


def security_visible_roles() -> frozenset[str]:
    return frozenset(get("security_visible_roles"))


def requesters_see_organisation() -> bool:
    return bool(get("requesters_see_organisation"))


def reopen_days() -> int:
    return int(get("reopen_days"))


def auto_close_days() -> int:
    return int(get("auto_close_days"))
