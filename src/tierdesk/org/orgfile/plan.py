"""What applying a file would change: a list of additions, changes and removals.

Only kinds the file lists are compared. A removal the database cannot honour without losing
history (a team or service that tickets point at) is refused here, before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from tierdesk.escalations.models import Escalation
from tierdesk.org.orgfile import state
from tierdesk.org.orgfile.loader import Issue
from tierdesk.org.orgfile.schema import Spec, identity, key_text
from tierdesk.routing.models import RoutingRule
from tierdesk.slas.models import OlaPolicy, SlaPolicy
from tierdesk.tickets.models import Ticket, TierStint
from tierdesk.tickets.models.enums import OPEN_STATUSES

NOUNS = {
    "calendars": "calendar",
    "requester_organisations": "organisation",
    "teams": "team",
    "people": "person",
    "services": "service",
    "sla_policies": "sla",
    "ola_policies": "ola",
    "escalation_policies": "escalation",
    "routing_rules": "rule",
    "policies": "policy",
    "mail_addresses": "mail",
}
_READERS: dict[str, Callable[[], state.Rows]] = {
    "calendars": state.calendars,
    "requester_organisations": state.organisations,
    "teams": state.teams,
    "services": state.services,
    "sla_policies": state.sla_policies,
    "ola_policies": state.ola_policies,
    "escalation_policies": state.escalation_policies,
    "routing_rules": state.routing_rules,
    "mail_addresses": state.mail_addresses,
}


def show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if value else '""'
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 80 else text[:79] + "…"


def public(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Values without bookkeeping (row ids), as stored in audit events."""
    return None if values is None else {k: v for k, v in values.items() if k != state.PK}


@dataclass(frozen=True)
class Change:
    op: str  # "+" add, "~" change, "-" remove
    section: str
    key: tuple[Any, ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    fields: tuple[tuple[str, Any, Any], ...] = ()

    @property
    def label(self) -> str:
        return f"{NOUNS[self.section]} {key_text(self.section, self.key)}"

    @property
    def pk(self) -> Any:
        return (self.before or {}).get(state.PK)

    def line(self) -> str:
        if self.op == "~":
            parts = "; ".join(f"{f} {show(b)} → {show(a)}" for f, b, a in self.fields)
            return f"~ {self.label}: {parts}"
        suffix = " (deactivated)" if self.op == "-" and self.section == "people" else ""
        return f"{self.op} {self.label}{suffix}"


def desired(spec: Spec, section: str) -> state.Rows:
    rows: state.Rows = {}
    for position, item in enumerate(spec.items(section), start=1):
        values = dict(item.values)
        if section == "people":
            values.update(state.HIDDEN_PERSON_FIELDS)
            values["teams"] = sorted(values["teams"])
        elif section == "routing_rules":
            values["position"] = position
        rows[identity(section, values)] = values
    return rows


def diff(section: str, want: state.Rows, have: state.Rows) -> list[Change]:
    changes = []
    for key, after in want.items():
        before = have.get(key)
        if before is None:
            changes.append(Change("+", section, key, None, after))
            continue
        fields = tuple((f, before.get(f), v) for f, v in after.items() if before.get(f) != v)
        if fields:
            changes.append(Change("~", section, key, before, after, fields))
    changes.extend(
        Change("-", section, key, before, None) for key, before in have.items() if key not in want
    )
    return changes


def plan(spec: Spec) -> tuple[list[Change], list[Issue]]:
    """Changes in a safe order for display (file order within a kind, removals last)."""
    changes: list[Change] = []
    for section in NOUNS:
        if section not in spec.listed:
            continue
        if section == "policies":
            want = {(k,): {"value": v} for k, v in spec.policies.items()}
            have = {(k,): {"value": v} for k, v in state.policies().items()}
        elif section == "people":
            want = desired(spec, section)
            have = state.people(also=[key[0] for key in want])
        else:
            want, have = desired(spec, section), _READERS[section]()
        changes.extend(diff(section, want, have))
    return changes, _refusals(spec, changes)


def _refusals(spec: Spec, changes: list[Change]) -> list[Issue]:
    removed: dict[str, dict[Any, str]] = {}
    for change in changes:
        if change.op == "-" and change.pk is not None:
            removed.setdefault(change.section, {})[change.pk] = change.key[0]
    issues: list[Issue] = []

    def refuse(section: str, message: str) -> None:
        issues.append(Issue(spec.doc.key_line(section), section, message))

    teams = removed.get("teams", {})
    if teams:
        held = list(
            Ticket.objects.filter(team_id__in=teams)
            .values("team_id")
            .annotate(total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUSES)))
            .order_by("team_id")
        )
        for row in held:
            refuse(
                "teams",
                f"cannot remove team {teams[row['team_id']]!r}: it still holds "
                f"{row['total']} tickets ({row['open']} open); move them first",
            )
        history = set(TierStint.objects.filter(team_id__in=teams).values_list("team_id", flat=True))
        hops = Escalation.objects.filter(Q(from_team_id__in=teams) | Q(to_team_id__in=teams))
        for pair in hops.values_list("from_team_id", "to_team_id").distinct():
            history.update(pair)
        held_ids = {row["team_id"] for row in held}
        for pk in sorted(history & set(teams) - held_ids):
            refuse("teams", f"cannot remove team {teams[pk]!r}: ticket history refers to it")
        _unlisted(
            spec, "ola_policies", OlaPolicy.objects.filter(team_id__in=teams), refuse, "team", teams
        )
        _unlisted(
            spec,
            "routing_rules",
            RoutingRule.objects.filter(team_id__in=teams),
            refuse,
            "team",
            teams,
        )
    services = removed.get("services", {})
    for row in (
        Ticket.objects.filter(service_id__in=services)
        .values("service_id")
        .annotate(total=Count("id"))
    ):
        refuse(
            "services",
            f"cannot remove service {services[row['service_id']]!r}: "
            f"{row['total']} tickets are about it",
        )
    calendars = removed.get("calendars", {})
    _unlisted(
        spec,
        "sla_policies",
        SlaPolicy.objects.filter(calendar_id__in=calendars),
        refuse,
        "calendar",
        calendars,
    )
    orgs = removed.get("requester_organisations", {})
    _unlisted(
        spec,
        "sla_policies",
        SlaPolicy.objects.filter(requester_organisation_id__in=orgs),
        refuse,
        "requester_organisation",
        orgs,
    )
    return issues


def _unlisted(
    spec: Spec,
    section: str,
    query: Any,
    refuse: Callable[[str, str], None],
    field: str,
    names: dict[Any, str],
) -> None:
    """A row of a kind the file does not list would silently go with what it points at."""
    if section in spec.listed or not names:
        return
    owner = field + "s"
    for pk in sorted(set(query.values_list(f"{field}_id", flat=True))):
        refuse(
            owner,
            f"cannot remove {NOUNS[owner]} {names[pk]!r}: stored {section} use it "
            f"and the file does not list {section}",
        )
