"""The org file's vocabulary: per-section fields, their checks and their defaults.

Every section entry is normalised to a *canonical* dict holding every field of its table (a
default where the file leaves one out). The database is read into the same shape
(:mod:`.state`), so a plan is a plain comparison of dicts and an export is the current state
with default values left out.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tierdesk.accounts.models import Role, RoleTitle
from tierdesk.org.models import AssignmentStrategy, Criticality, TeamKind
from tierdesk.tickets.models.enums import Priority, TicketType

Check = Callable[[Any], Any]
RECIPIENTS = ("assignee", "team_lead", "lead_manager", "incident_manager", "it_manager", "cio")


class Bad(Exception):
    """A value is wrong; ``sub`` extends the field's path (``[2]``, ``.notify[0]``)."""

    def __init__(self, message: str, sub: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.sub = sub


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(type(value), repr(value))


def text(max_length: int = 200, *, blank: bool = False) -> Check:
    def check(value: Any) -> str:
        if value is None and blank:
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # a name such as 2025 or a phone number written bare
        if not isinstance(value, str):
            raise Bad(f"expected text, got {_type_name(value)}")
        cleaned = " ".join(value.split())
        if not cleaned and not blank:
            raise Bad("must not be empty")
        if len(cleaned) > max_length:
            raise Bad(f"longer than {max_length} characters")
        return cleaned

    return check


_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def slug(value: Any) -> str:
    if not isinstance(value, str) or not _SLUG.fullmatch(value) or len(value) > 64:
        raise Bad(f"{value!r} is not a slug (letters, digits, - and _, at most 64)")
    return value


def username(value: Any) -> str:
    ok = isinstance(value, str) and 0 < len(value) <= 150
    if not ok or not all(c.isalnum() or c in "@.+-_" for c in value):
        raise Bad(f"{value!r} is not a username (letters, digits and @.+-_, at most 150)")
    return str(value)


def email(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 254:
        raise Bad(f"{value!r} is not an email address")
    try:
        validate_email(value.strip())
    except ValidationError:
        raise Bad(f"{value!r} is not an email address") from None
    return value.strip().lower()


_DOMAIN = re.compile(r"(?=.{1,253}\Z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}")


def domain(value: Any) -> str:
    cleaned = value.strip().lower() if isinstance(value, str) else ""
    if not _DOMAIN.fullmatch(cleaned):
        raise Bad(f"{value!r} is not a domain name such as finance.example.com")
    return cleaned


def choice(values: Sequence[str]) -> Check:
    def check(value: Any) -> str:
        if value not in values:
            raise Bad(f"{value!r} is not one of {', '.join(values)}")
        return str(value)

    return check


def integer(low: int, high: int) -> Check:
    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise Bad(f"expected a whole number from {low} to {high}, got {_type_name(value)}")
        return value

    return check


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Bad(f"expected true or false, got {_type_name(value)}")
    return value


def optional(check: Check) -> Check:
    def wrapped(value: Any) -> Any:
        return None if value is None else check(value)

    return wrapped


def list_of(check: Check, *, fold: Callable[[Any], Any] = lambda v: v) -> Check:
    """A list of distinct values (a repeat is a typo or a merge accident, so it is an error)."""

    def wrapped(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise Bad(f"expected a list, got {_type_name(value)}")
        result: list[Any] = []
        for i, item in enumerate(value):
            try:
                checked = check(item)
            except Bad as bad:
                raise Bad(bad.message, f"[{i}]{bad.sub}") from None
            if fold(checked) in {fold(r) for r in result}:
                raise Bad(f"{checked!r} is listed twice", f"[{i}]")
            result.append(checked)
        return result

    return wrapped


def any_value(value: Any) -> Any:
    return value


def steps(value: Any) -> list[dict[str, Any]]:
    """Escalation steps: ascending ``at_percent`` with a non-empty ``notify`` list each."""
    if not isinstance(value, list) or not value:
        raise Bad("expected a non-empty list of {at_percent, notify} steps")
    result: list[dict[str, Any]] = []
    for i, step in enumerate(value):
        if not isinstance(step, dict):
            raise Bad(f"expected a mapping, got {_type_name(step)}", f"[{i}]")
        for key in step:
            if key not in ("at_percent", "notify"):
                raise Bad("unknown key; use at_percent, notify", f"[{i}].{key}")
        for key in ("at_percent", "notify"):
            if key not in step:
                raise Bad(f"missing required field {key!r}", f"[{i}]")
        try:
            at = integer(1, 1000)(step["at_percent"])
        except Bad as bad:
            raise Bad(bad.message, f"[{i}].at_percent") from None
        if result and at <= result[-1]["at_percent"]:
            raise Bad("steps must be in ascending at_percent order", f"[{i}].at_percent")
        try:
            notify = list_of(choice(RECIPIENTS))(step["notify"])
        except Bad as bad:
            raise Bad(bad.message, f"[{i}].notify{bad.sub}") from None
        if not notify:
            raise Bad("must name at least one recipient", f"[{i}].notify")
        result.append({"at_percent": at, "notify": notify})
    return result


@dataclass(frozen=True)
class Field:
    check: Check
    required: bool = False
    default: Any = None

    def fresh_default(self) -> Any:
        return copy.deepcopy(self.default)


_lower = str.lower
SECTIONS: dict[str, dict[str, Field]] = {
    "calendars": {
        "slug": Field(slug, True),
        "name": Field(text(), True),
        "time_zone": Field(any_value),
        "hours": Field(any_value, default={}),
        "holidays": Field(any_value),
        "closed_dates": Field(any_value, default=[]),
        "always_open": Field(any_value, default=False),
    },
    "teams": {
        "slug": Field(slug, True),
        "name": Field(text(), True),
        "kind": Field(choice(TeamKind.values), True),
        "level": Field(optional(integer(1, 3))),
        "parent": Field(optional(slug)),
        "lead": Field(optional(username)),
        "assignment": Field(choice(AssignmentStrategy.values), default="manual"),
        "default_for_tier": Field(boolean, default=False),
        "categories": Field(list_of(text(100), fold=_lower), default=[]),
    },
    "people": {
        "username": Field(username, True),
        "name": Field(text(300, blank=True), default=""),
        "email": Field(email, True),
        "role": Field(choice(Role.values), True),
        "title": Field(optional(choice(RoleTitle.values))),
        "teams": Field(list_of(slug), default=[]),
        "manager": Field(optional(username)),
        "skills": Field(list_of(text(100), fold=_lower), default=[]),
        "on_shift": Field(boolean, default=True),
        "phone": Field(text(40, blank=True), default=""),
        "language": Field(text(16, blank=True), default=""),
        "organisation": Field(optional(slug)),
    },
    "requester_organisations": {
        "slug": Field(slug, True),
        "name": Field(text(), True),
        "domains": Field(list_of(domain), default=[]),
    },
    "services": {
        "slug": Field(slug, True),
        "name": Field(text(), True),
        "owner": Field(optional(slug)),
        "criticality": Field(choice(Criticality.values), default="medium"),
        "calendar": Field(optional(slug)),
    },
    "sla_policies": {
        "name": Field(text(), True),
        "priority": Field(choice(Priority.values), True),
        "type": Field(optional(choice(TicketType.values))),
        "organisation": Field(optional(slug)),
        "first_response_minutes": Field(integer(1, 10_000_000), True),
        "resolution_minutes": Field(integer(1, 10_000_000), True),
        "warning_percent": Field(integer(1, 99), default=75),
        "calendar": Field(optional(slug)),
    },
    "ola_policies": {
        "tier": Field(optional(integer(1, 3))),
        "team": Field(optional(slug)),
        "priority": Field(choice(Priority.values), True),
        "budget_minutes": Field(integer(1, 10_000_000), True),
        "auto_escalate": Field(boolean, default=False),
    },
    "escalation_policies": {
        "priority": Field(choice(Priority.values), True),
        "major_incident": Field(boolean, default=False),
        "steps": Field(steps, True),
    },
    "routing_rules": {
        "name": Field(text(), True),
        "enabled": Field(boolean, default=True),
        "when": Field(any_value, True),
        "team": Field(optional(slug)),
        "set_category": Field(text(100, blank=True), default=""),
        "set_priority": Field(optional(choice(Priority.values))),
        "assignee": Field(optional(username)),
        "watchers": Field(list_of(username), default=[]),
    },
    "mail_addresses": {
        "address": Field(email, True),
        "team": Field(slug, True),
        "type": Field(optional(choice(TicketType.values))),
    },
}
#: Top-level keys in file and export order; ``policies`` is a mapping, the rest are lists.
TOP_LEVEL = (
    "calendars",
    "requester_organisations",
    "teams",
    "people",
    "services",
    "sla_policies",
    "ola_policies",
    "escalation_policies",
    "routing_rules",
    "policies",
    "mail_addresses",
)
