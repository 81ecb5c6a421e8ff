"""Carrying out a plan: one transaction, one audit event per changed field on the org chain.

Rows are written in dependency order (calendars and organisations, teams, people, then what
refers to them) and removed in the reverse order. References between rows of the same kind
(team parents, managers) and between teams and people (leads, memberships) are set in a
second pass once every row exists.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from tierdesk.accounts.models import User
from tierdesk.accounts.services import create_user
from tierdesk.audit.services import ORG_CHAIN, AuditTrail
from tierdesk.escalations.models import HierarchyPolicy
from tierdesk.org.models import (
    BusinessCalendar,
    DeskPolicy,
    Membership,
    RequesterOrganisation,
    Service,
    Team,
)
from tierdesk.org.orgfile.plan import NOUNS, Change, key_text, public
from tierdesk.org.orgfile.schema import Spec
from tierdesk.org.orgfile.state import MAIL_ADDRESSES_KEY
from tierdesk.routing.models import RoutingRule
from tierdesk.slas.models import OlaPolicy, SlaPolicy

_SPEC_FIELDS = ("time_zone", "hours", "holidays", "closed_dates", "always_open")


class _Lookup:
    """Rows by natural key, loaded once after the rows they stand for exist."""

    def __init__(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.teams = {t.slug: t for t in Team.objects.all()}
        self.calendars = {c.slug: c for c in BusinessCalendar.objects.all()}
        self.orgs = {o.slug: o for o in RequesterOrganisation.objects.all()}

    def users(self, names: set[str]) -> dict[str, User]:
        return {u.username: u for u in User.objects.filter(username__in=names)}


def execute(spec: Spec, changes: list[Change], *, at: datetime, note: str = "") -> None:
    """Write ``changes``; the caller holds the transaction. Records the audit events."""
    todo: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        todo[change.section].append(change)
    kept = {s: [c for c in todo[s] if c.op != "-"] for s in NOUNS}
    gone = {s: [c for c in todo[s] if c.op == "-"] for s in NOUNS}

    for change in kept["calendars"]:
        v = change.after or {}
        BusinessCalendar.objects.update_or_create(
            slug=v["slug"], defaults={"name": v["name"], "spec": {f: v[f] for f in _SPEC_FIELDS}}
        )
    for change in kept["requester_organisations"]:
        v = change.after or {}
        RequesterOrganisation.objects.update_or_create(
            slug=v["slug"], defaults={"name": v["name"], "domains": v["domains"]}
        )
    for change in kept["teams"]:
        v = change.after or {}
        Team.objects.update_or_create(
            slug=v["slug"],
            defaults={
                "name": v["name"],
                "kind": v["kind"],
                "level": v["level"],
                "assignment_strategy": v["assignment"],
                "is_default_for_tier": v["default_for_tier"],
                "categories": v["categories"],
            },
        )
    look = _Lookup()
    _people(kept["people"], look)
    _links(kept["teams"], kept["people"], look)
    _others(kept, look)
    if todo["mail_addresses"]:
        write_mail_addresses([dict(item.values) for item in spec.items("mail_addresses")])
    _remove(gone)
    _audit(changes, at, note)


def _people(changes: list[Change], look: _Lookup) -> None:
    new: list[Membership] = []
    for change in changes:
        v = change.after or {}
        first, _, last = v["name"].partition(" ")
        if change.op == "+":
            user = create_user(v["username"], email=v["email"], role=v["role"])
        else:
            user = User.objects.get(pk=change.pk)
        user.first_name, user.last_name, user.email, user.role = first, last, v["email"], v["role"]
        user.role_title = v["title"] or ""
        user.skills, user.on_shift = v["skills"], v["on_shift"]
        user.phone, user.language = v["phone"], v["language"]
        user.organisation = look.orgs[v["organisation"]] if v["organisation"] else None
        user.is_active = user.managed_by_org_file = True
        user.save()
        wanted = {look.teams[slug].pk for slug in v["teams"]}
        have: set[int] = set()
        if change.op == "~" and any(field == "teams" for field, _, _ in change.fields):
            Membership.objects.filter(user=user).exclude(team_id__in=wanted).delete()
            have = set(Membership.objects.filter(user=user).values_list("team_id", flat=True))
        elif change.op == "~":
            continue
        new.extend(Membership(user=user, team_id=pk) for pk in sorted(wanted - have))
    Membership.objects.bulk_create(new)


def _links(teams: list[Change], people: list[Change], look: _Lookup) -> None:
    names = {(c.after or {}).get("lead") for c in teams}
    names |= {(c.after or {}).get("manager") for c in people}
    names |= {(c.after or {})["username"] for c in people}
    users = look.users({n for n in names if n})
    for change in teams:
        v = change.after or {}
        team = look.teams[v["slug"]]
        team.parent = look.teams[v["parent"]] if v["parent"] else None
        team.lead = users[v["lead"]] if v["lead"] else None
        team.save(update_fields=["parent", "lead"])
    by_manager: dict[str | None, list[str]] = defaultdict(list)
    for change in people:
        v = change.after or {}
        by_manager[v["manager"]].append(v["username"])
    for name, reports in by_manager.items():
        manager = users[name] if name else None
        User.objects.filter(username__in=reports).update(manager=manager)


def _others(kept: dict[str, list[Change]], look: _Lookup) -> None:
    for change in kept["services"]:
        v = change.after or {}
        Service.objects.update_or_create(
            slug=v["slug"],
            defaults={
                "name": v["name"],
                "criticality": v["criticality"],
                "owner_team": look.teams[v["owner"]] if v["owner"] else None,
                "calendar": look.calendars[v["calendar"]] if v["calendar"] else None,
            },
        )
    for change in kept["sla_policies"]:
        v = change.after or {}
        SlaPolicy.objects.update_or_create(
            pk=change.pk,
            defaults={
                "name": v["name"],
                "priority": v["priority"],
                "ticket_type": v["type"] or "",
                "requester_organisation": look.orgs[v["organisation"]]
                if v["organisation"]
                else None,
                "first_response_minutes": v["first_response_minutes"],
                "resolution_minutes": v["resolution_minutes"],
                "warning_percent": v["warning_percent"],
                "calendar": look.calendars[v["calendar"]] if v["calendar"] else None,
            },
        )
    for change in kept["ola_policies"]:
        v = change.after or {}
        OlaPolicy.objects.update_or_create(
            pk=change.pk,
            defaults={
                "tier": v["tier"],
                "team": look.teams[v["team"]] if v["team"] else None,
                "priority": v["priority"],
                "budget_minutes": v["budget_minutes"],
                "auto_escalate": v["auto_escalate"],
            },
        )
    for change in kept["escalation_policies"]:
        v = change.after or {}
        HierarchyPolicy.objects.update_or_create(
            priority=v["priority"],
            defaults={"major_incident": v["major_incident"], "steps": v["steps"]},
        )
    _rules(kept["routing_rules"], look)
    for change in kept["policies"]:
        DeskPolicy.objects.update_or_create(
            key=change.key[0], defaults={"value": (change.after or {})["value"]}
        )


def _rules(changes: list[Change], look: _Lookup) -> None:
    names = {
        n for c in changes for n in [(c.after or {})["assignee"], *(c.after or {})["watchers"]] if n
    }
    users = look.users(names)
    for change in changes:
        v = change.after or {}
        rule, _ = RoutingRule.objects.update_or_create(
            pk=change.pk,
            defaults={
                "name": v["name"],
                "position": v["position"],
                "enabled": v["enabled"],
                "conditions": v["when"],
                "team": look.teams[v["team"]] if v["team"] else None,
                "set_category": v["set_category"],
                "set_priority": v["set_priority"] or "",
                "assignee": users[v["assignee"]] if v["assignee"] else None,
            },
        )
        rule.watchers.set([users[name] for name in v["watchers"]])


def write_mail_addresses(entries: list[dict[str, Any]]) -> None:
    """Stored as a DeskPolicy row for the mail intake, bypassing ``policies.validate``
    (which knows only desk policies); the org file has validated every entry."""
    if entries:
        DeskPolicy.objects.update_or_create(key=MAIL_ADDRESSES_KEY, defaults={"value": entries})
    else:
        DeskPolicy.objects.filter(key=MAIL_ADDRESSES_KEY).delete()


def _remove(gone: dict[str, list[Change]]) -> None:
    def pks(section: str) -> list[Any]:
        return [c.pk for c in gone[section]]

    RoutingRule.objects.filter(pk__in=pks("routing_rules")).delete()
    DeskPolicy.objects.filter(key__in=[c.key[0] for c in gone["policies"]]).delete()
    HierarchyPolicy.objects.filter(pk__in=pks("escalation_policies")).delete()
    OlaPolicy.objects.filter(pk__in=pks("ola_policies")).delete()
    SlaPolicy.objects.filter(pk__in=pks("sla_policies")).delete()
    Service.objects.filter(pk__in=pks("services")).delete()
    Membership.objects.filter(user_id__in=pks("people")).delete()
    User.objects.filter(pk__in=pks("people")).update(is_active=False)
    Team.objects.filter(pk__in=pks("teams")).delete()
    RequesterOrganisation.objects.filter(pk__in=pks("requester_organisations")).delete()
    BusinessCalendar.objects.filter(pk__in=pks("calendars")).delete()


def _audit(changes: list[Change], at: datetime, note: str) -> None:
    trail = AuditTrail(chain=ORG_CHAIN, actor_id=None, channel="cli", at=at)
    for change in changes:
        name = f"{NOUNS[change.section]}:{key_text(change.section, change.key)}"
        data = {"op": change.op, "section": change.section, "key": list(change.key)}
        if change.op == "~":
            for field, before, after in change.fields:
                trail.add(
                    "org_changed",
                    field=f"{name}.{field}"[:64],
                    before=before,
                    after=after,
                    note=note,
                    data=data,
                )
        else:
            trail.add(
                "org_changed",
                field=name[:64],
                before=public(change.before),
                after=public(change.after),
                note=note,
                data=data,
            )
    trail.flush()
