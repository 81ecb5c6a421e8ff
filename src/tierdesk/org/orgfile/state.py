"""The organisation as stored, in the org file's canonical shape (see :mod:`.fields`).

``plan`` compares this with the file and ``export`` writes it out, so both agree by
construction: exporting and applying the result changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch

from tierdesk.accounts.models import User
from tierdesk.escalations.models import HierarchyPolicy
from tierdesk.org import policies as desk_policies
from tierdesk.org.models import (
    BusinessCalendar,
    DeskPolicy,
    Membership,
    RequesterOrganisation,
    Service,
    Team,
)
from tierdesk.org.orgfile.schema import identity
from tierdesk.routing.models import RoutingRule
from tierdesk.slas.calendar import BusinessCalendar as Calendar
from tierdesk.slas.calendar import CalendarError
from tierdesk.slas.models import OlaPolicy, SlaPolicy

MAIL_ADDRESSES_KEY = "mail_addresses"
#: Person fields the file never spells: listing someone makes them active and org-managed.
HIDDEN_PERSON_FIELDS = {"active": True, "managed": True}

#: Each row carries its primary key under this name; plans and exports ignore it.
PK = "_pk"
Rows = dict[tuple[Any, ...], dict[str, Any]]


def _keyed(section: str, rows: Iterable[tuple[int | None, dict[str, Any]]]) -> Rows:
    """Rows by identity; a duplicate stored row (made outside the file) gets its own key
    with its id, so a plan removes it."""
    result: Rows = {}
    for pk, values in rows:
        key = identity(section, values)
        result[key if key not in result else (*key, f"#{pk}")] = {**values, PK: pk}
    return result


def _canonical_spec(spec: Any) -> dict[str, Any]:
    try:
        return Calendar.from_spec(spec).to_spec()
    except (CalendarError, TypeError):
        return dict(spec) if isinstance(spec, dict) else {"time_zone": None}


def calendars() -> Rows:
    rows = []
    for cal in BusinessCalendar.objects.order_by("pk"):
        rows.append((cal.pk, {"slug": cal.slug, "name": cal.name, **_canonical_spec(cal.spec)}))
    return _keyed("calendars", rows)


def organisations() -> Rows:
    return _keyed(
        "requester_organisations",
        [
            (o.pk, {"slug": o.slug, "name": o.name, "domains": list(o.domains or [])})
            for o in RequesterOrganisation.objects.order_by("pk")
        ],
    )


def teams() -> Rows:
    query = Team.objects.select_related("parent", "lead").order_by("pk")
    return _keyed(
        "teams",
        [
            (
                t.pk,
                {
                    "slug": t.slug,
                    "name": t.name,
                    "kind": t.kind,
                    "level": t.level,
                    "parent": t.parent.slug if t.parent else None,
                    "lead": t.lead.username if t.lead else None,
                    "assignment": t.assignment_strategy,
                    "default_for_tier": t.is_default_for_tier,
                    "categories": list(t.categories or []),
                },
            )
            for t in query
        ],
    )


def person_values(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": " ".join(f"{user.first_name} {user.last_name}".split()),
        "email": user.email,
        "role": user.role,
        "title": user.role_title or None,
        "teams": sorted(m.team.slug for m in user.memberships.all()),
        "manager": user.manager.username if user.manager else None,
        "skills": list(user.skills or []),
        "on_shift": user.on_shift,
        "phone": user.phone,
        "language": user.language,
        "organisation": user.organisation.slug if user.organisation else None,
        "active": user.is_active,
        "managed": user.managed_by_org_file,
    }


def people(also: Iterable[str] = ()) -> Rows:
    """Active org-managed people, plus anyone named in ``also`` (the file's usernames)."""
    from django.db.models import Q

    query = (
        User.objects.filter(Q(managed_by_org_file=True, is_active=True) | Q(username__in=also))
        .select_related("manager", "organisation")
        .prefetch_related(Prefetch("memberships", Membership.objects.select_related("team")))
        .order_by("pk")
    )
    return _keyed("people", [(u.pk, person_values(u)) for u in query])


def services() -> Rows:
    query = Service.objects.select_related("owner_team", "calendar").order_by("pk")
    return _keyed(
        "services",
        [
            (
                s.pk,
                {
                    "slug": s.slug,
                    "name": s.name,
                    "owner": s.owner_team.slug if s.owner_team else None,
                    "criticality": s.criticality,
                    "calendar": s.calendar.slug if s.calendar else None,
                },
            )
            for s in query
        ],
    )


def sla_policies() -> Rows:
    query = SlaPolicy.objects.select_related("requester_organisation", "calendar").order_by("pk")
    return _keyed(
        "sla_policies",
        [
            (
                p.pk,
                {
                    "name": p.name,
                    "priority": p.priority,
                    "type": p.ticket_type or None,
                    "organisation": p.requester_organisation.slug
                    if p.requester_organisation
                    else None,
                    "first_response_minutes": p.first_response_minutes,
                    "resolution_minutes": p.resolution_minutes,
                    "warning_percent": p.warning_percent,
                    "calendar": p.calendar.slug if p.calendar else None,
                },
            )
            for p in query
        ],
    )


def ola_policies() -> Rows:
    return _keyed(
        "ola_policies",
        [
            (
                p.pk,
                {
                    "tier": p.tier,
                    "team": p.team.slug if p.team else None,
                    "priority": p.priority,
                    "budget_minutes": p.budget_minutes,
                    "auto_escalate": p.auto_escalate,
                },
            )
            for p in OlaPolicy.objects.select_related("team").order_by("pk")
        ],
    )


def escalation_policies() -> Rows:
    return _keyed(
        "escalation_policies",
        [
            (
                p.pk,
                {
                    "priority": p.priority,
                    "major_incident": p.major_incident,
                    # PostgreSQL's jsonb reorders keys: write each step in the file's order.
                    "steps": [
                        {"at_percent": step["at_percent"], "notify": step["notify"]}
                        for step in p.steps or []
                    ],
                },
            )
            for p in HierarchyPolicy.objects.order_by("priority")
        ],
    )


def routing_rules() -> Rows:
    query = RoutingRule.objects.select_related("team", "assignee").prefetch_related("watchers")
    return _keyed(
        "routing_rules",
        [
            (
                r.pk,
                {
                    "name": r.name,
                    "enabled": r.enabled,
                    "when": dict(r.conditions or {}),
                    "team": r.team.slug if r.team else None,
                    "set_category": r.set_category,
                    "set_priority": r.set_priority or None,
                    "assignee": r.assignee.username if r.assignee else None,
                    "watchers": sorted(w.username for w in r.watchers.all()),
                    "position": r.position,
                },
            )
            for r in query.order_by("position", "pk")
        ],
    )


def policies() -> dict[str, Any]:
    """Stored desk policies (defaults are not stored, so they are not listed)."""
    rows = DeskPolicy.objects.filter(key__in=list(desk_policies.DEFAULTS)).order_by("key")
    return {row.key: row.value for row in rows}


def mail_addresses() -> Rows:
    value = DeskPolicy.objects.filter(key=MAIL_ADDRESSES_KEY).values_list("value", flat=True)
    stored = value.first()
    entries = stored if isinstance(stored, list) else []
    return _keyed(
        "mail_addresses",
        [
            (None, {"address": e.get("address"), "team": e.get("team"), "type": e.get("type")})
            for e in entries
            if isinstance(e, dict)
        ],
    )
