"""Desk configuration cached per process, exact by a generation stamp.

Routing rules, SLA/OLA/hierarchy policies and the entry teams are read on every ticket
created but change only when an admin edits them. Every such edit stamps a new generation
(a DeskPolicy row, written by signals in the editing transaction); the stamp is read with
the desk policies, which a request reads anyway, and a different stamp reloads the cache.
So the cache is never stale, and an unchanged desk costs no configuration queries.
"""

from __future__ import annotations

import copy
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from tierdesk.org import policies
from tierdesk.org.models import DeskPolicy, RequesterOrganisation, Team, TeamKind

GENERATION_KEY = "config_generation"


@dataclass(frozen=True)
class Rule:
    pk: int
    name: str
    conditions: dict[str, list[str]]
    team_id: int | None
    set_category: str
    set_priority: str
    assignee_id: int | None
    watcher_ids: tuple[int, ...]


@dataclass(frozen=True)
class DeskConfig:
    rules: tuple[Rule, ...]
    sla_policies: tuple[Any, ...]  # SlaPolicy rows, calendar selected
    ola_policies: tuple[Any, ...]  # OlaPolicy rows
    hierarchy: dict[str, Any] = field(default_factory=dict)  # priority -> HierarchyPolicy
    teams: dict[int, Team] = field(default_factory=dict)
    service_desk_id: int | None = None
    security_id: int | None = None
    # Every condition key some enabled rule uses: a draft need not look up what no rule reads.
    condition_keys: frozenset[str] = frozenset()
    # Requester organisations by id, read only while some rule matches on an organisation.
    organisation_slugs: dict[int, str] = field(default_factory=dict)

    def team(self, pk: int) -> Team:
        """A private copy: callers may change their team object without touching the cache."""
        return copy.copy(self.teams[pk])

    def team_with_slug(self, slug: str) -> Team | None:
        found = next((pk for pk, team in self.teams.items() if team.slug == slug), None)
        return None if found is None else self.team(found)


_lock = threading.Lock()
_cached: tuple[str, DeskConfig] | None = None


def current() -> DeskConfig:
    global _cached
    stamp = str(policies.get_raw(GENERATION_KEY) or "")
    cached = _cached
    if cached is not None and cached[0] == stamp and stamp:
        return cached[1]
    loaded = _load()
    if stamp:  # a database never configured has no stamp yet: nothing to key a cache by
        with _lock:
            _cached = (stamp, loaded)
    return loaded


def _load() -> DeskConfig:
    from tierdesk.escalations.models import HierarchyPolicy
    from tierdesk.routing.models import RoutingRule
    from tierdesk.slas.models import OlaPolicy, SlaPolicy

    rules = tuple(
        Rule(
            pk=r.pk,
            name=r.name,
            conditions=r.conditions,
            team_id=r.team_id,
            set_category=r.set_category,
            set_priority=r.set_priority,
            assignee_id=r.assignee_id,
            watcher_ids=tuple(w.pk for w in r.watchers.all()),
        )
        for r in RoutingRule.objects.filter(enabled=True).prefetch_related("watchers")
    )
    condition_keys = frozenset(key for rule in rules for key in rule.conditions)
    teams = {t.pk: t for t in Team.objects.all()}
    entry = sorted(
        (t for t in teams.values() if t.kind == TeamKind.SERVICE_DESK),
        key=lambda t: (not t.is_default_for_tier, t.pk),
    )
    security = sorted(
        (t for t in teams.values() if t.kind == TeamKind.SECURITY), key=lambda t: t.pk
    )
    return DeskConfig(
        rules=rules,
        sla_policies=tuple(SlaPolicy.objects.select_related("calendar")),
        ola_policies=tuple(OlaPolicy.objects.all()),
        hierarchy={h.priority: h for h in HierarchyPolicy.objects.all()},
        teams=teams,
        service_desk_id=entry[0].pk if entry else None,
        security_id=security[0].pk if security else None,
        condition_keys=condition_keys,
        organisation_slugs=(
            dict(RequesterOrganisation.objects.values_list("pk", "slug"))
            if "organisation" in condition_keys
            else {}
        ),
    )


def bump() -> None:
    DeskPolicy.objects.update_or_create(key=GENERATION_KEY, defaults={"value": uuid.uuid4().hex})


def _changed(sender: Any, instance: Any = None, **kwargs: Any) -> None:
    if isinstance(instance, DeskPolicy) and instance.key == GENERATION_KEY:
        return
    bump()


def connect_signals() -> None:
    from tierdesk.escalations.models import HierarchyPolicy
    from tierdesk.routing.models import RoutingRule
    from tierdesk.slas.models import OlaPolicy, SlaPolicy

    for model in (
        Team,
        DeskPolicy,
        RoutingRule,
        SlaPolicy,
        OlaPolicy,
        HierarchyPolicy,
        RequesterOrganisation,
    ):
        post_save.connect(_changed, sender=model, dispatch_uid=f"config-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"config-del-{model.__name__}")
    m2m_changed.connect(
        _changed, sender=RoutingRule.watchers.through, dispatch_uid="config-rule-watchers"
    )
