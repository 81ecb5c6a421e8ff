"""Read queries the workspace needs beyond ``tickets.selectors``: loads and management figures.

Every ticket query starts from ``policy.visible_tickets`` (or, for the sidebar's stored
totals, its split ``policy.open_work_view``) so a page can never count or show tickets its
viewer may not see; each function runs a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from tierdesk.accounts import policy
from tierdesk.accounts.models import PERSON_NAME, User
from tierdesk.escalations.models import Escalation
from tierdesk.org.models import Team, TeamKind
from tierdesk.org.selectors import team_members
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.opencounts import visible_open_counts
from tierdesk.tickets.selectors import is_open, loading
from tierdesk.web.rows import COLUMNS as ROW_COLUMNS

BREACHED = Q(resolution_breached=True) | Q(first_response_breached=True) | Q(ola_breached=True)


@dataclass(frozen=True)
class Candidate:
    user: User
    open_tickets: int


def open_load(user_ids: list[int]) -> dict[int, int]:
    """Open tickets held by each of these people (one aggregate query)."""
    if not user_ids:
        return {}
    rows = (
        Ticket.objects.filter(is_open(), assignee_id__in=user_ids)
        .values_list("assignee_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    return dict(rows)


def assignment_candidates(team_id: int) -> list[Candidate]:
    """The team's active staff with their open-ticket load, on-shift people first."""
    people = team_members(team_id)
    load = open_load([p.pk for p in people])
    candidates = [Candidate(p, load.get(p.pk, 0)) for p in people]
    return sorted(candidates, key=lambda c: (not c.user.on_shift, c.open_tickets, c.user.username))


def due_soon(viewer: User, before: datetime, *, limit: int) -> list[Ticket]:
    """Open, not yet breached tickets whose resolution SLA or tier OLA falls due by ``before``.

    A short list by nature (it looks one hour ahead), so it is capped rather than paged.
    """
    due = Q(resolution_due_at__lte=before) | Q(ola_due_at__lte=before)
    soon = policy.visible_tickets(viewer).filter(is_open(), due).exclude(BREACHED)
    return list(loading(soon, ROW_COLUMNS).order_by("resolution_due_at", "pk")[:limit])


def colleagues(viewer: User) -> list[User]:
    """Staff sharing a team with the viewer: the people bulk assignment offers, by name only
    (the queue page names them; DISTINCT over every column of a person cost more)."""
    return list(
        User.objects.filter(memberships__team_id__in=policy.team_ids(viewer), is_active=True)
        .exclude(role="requester")
        .only(*PERSON_NAME)
        .distinct()
        .order_by("username")
    )


def queue_teams() -> list[Team]:
    """Teams that hold tickets (management teams are notified, never handed work)."""
    return list(Team.objects.exclude(kind=TeamKind.MANAGEMENT).order_by("level", "slug"))


def queue_counts(viewer: User) -> dict[str, dict[int, int]]:
    """Open visible tickets per team id and per tier, for the queue sidebar (1 query; the
    whole teams' part from stored totals, see ``tickets.opencounts``)."""
    by_team: dict[int, int] = {}
    by_tier: dict[int, int] = {}
    for (team_id, tier), n in visible_open_counts(viewer).items():
        if team_id is not None:
            by_team[team_id] = by_team.get(team_id, 0) + n
        if tier is not None:
            by_tier[tier] = by_tier.get(tier, 0) + n
    return {"team": by_team, "tier": by_tier}


@dataclass(frozen=True)
class Compliance:
    days: int
    resolved: int
    met: int

    @property
    def percent(self) -> float | None:
        return None if not self.resolved else round(self.met * 100 / self.resolved, 1)


def management_overview(viewer: User, now: datetime | None = None) -> dict[str, Any]:
    """Open work, SLA compliance, escalations and the oldest and breaching tickets."""
    now = now or timezone.now()
    visible = policy.visible_tickets(viewer)
    open_visible = visible.filter(is_open())
    per_team = list(
        open_visible.values("team__slug", "team__name", "tier")
        .annotate(open=Count("id"), breaching=Count("id", filter=BREACHED))
        .order_by("tier", "team__slug")
    )
    per_tier: dict[int | None, dict[str, int]] = {}
    for row in per_team:
        bucket = per_tier.setdefault(row["tier"], {"open": 0, "breaching": 0})
        bucket["open"] += row["open"]
        bucket["breaching"] += row["breaching"]
    windows = {}
    for days in (7, 30):
        since = now - timedelta(days=days)
        windows[f"d{days}"] = Q(resolved_at__gte=since)
    resolved = visible.filter(resolved_at__isnull=False, resolved_at__gte=now - timedelta(days=30))
    totals = resolved.aggregate(
        **{f"{name}_all": Count("id", filter=q) for name, q in windows.items()},
        **{
            f"{name}_met": Count("id", filter=q & Q(resolution_breached=False))
            for name, q in windows.items()
        },
    )
    compliance = [
        Compliance(days, totals[f"d{days}_all"], totals[f"d{days}_met"]) for days in (7, 30)
    ]
    hops = (
        Escalation.objects.filter(ticket__in=visible, created_at__gte=now - timedelta(days=30))
        .values("from_tier", "to_tier", "direction")
        .annotate(n=Count("id"), automatic=Count("id", filter=Q(automatic=True)))
        .order_by("from_tier", "to_tier", "direction")
    )
    related = ("team", "assignee", "requester")
    return {
        "per_tier": sorted(per_tier.items(), key=lambda item: (item[0] is None, item[0] or 0)),
        "per_team": per_team,
        "compliance": compliance,
        "escalations": list(hops),
        "oldest": list(open_visible.select_related(*related).order_by("created_at", "pk")[:10]),
        "breaching": list(
            open_visible.filter(BREACHED)
            .select_related(*related)
            .order_by("resolution_due_at", "pk")[:20]
        ),
        "now": now,
    }
