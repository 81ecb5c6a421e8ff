"""Where a ticket goes: routing rules for new tickets and team choice for escalations."""

from __future__ import annotations

from dataclasses import dataclass, field

from tierdesk.core.errors import Conflict, InvalidInput
from tierdesk.org.models import Service, Team, TeamKind
from tierdesk.routing.models import RoutingRule
from tierdesk.routing.rules import Draft, matches


@dataclass
class Decision:
    team: Team
    rule: RoutingRule | None = None
    category: str | None = None
    priority: str | None = None
    assignee_id: int | None = None
    watcher_ids: list[int] = field(default_factory=list)


def service_desk() -> Team:
    team = (
        Team.objects.filter(kind=TeamKind.SERVICE_DESK)
        .order_by("-is_default_for_tier", "pk")
        .first()
    )
    if team is None:
        raise Conflict("the organisation has no service desk team: apply an org file first")
    return team


def route(draft: Draft) -> Decision:
    """The first enabled rule that matches decides; otherwise the service desk (L1) takes it,
    except security incidents, which go straight to the security team when there is one."""
    for rule in (
        RoutingRule.objects.filter(enabled=True).select_related("team").prefetch_related("watchers")
    ):
        if matches(rule.conditions, draft):
            return Decision(
                team=rule.team or _default_team(draft),
                rule=rule,
                category=rule.set_category or None,
                priority=rule.set_priority or None,
                assignee_id=rule.assignee_id,
                watcher_ids=[w.pk for w in rule.watchers.all()],
            )
    return Decision(team=_default_team(draft))


def route_to_team(slug: str) -> Decision:
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise InvalidInput(f"team: no team {slug!r}", field="team")
    return Decision(team=team)


def _default_team(draft: Draft) -> Team:
    if draft.type == "security_incident":
        security = Team.objects.filter(kind=TeamKind.SECURITY).order_by("pk").first()
        if security:
            return security
    return service_desk()


def team_for_tier(tier: int, category: str, service: Service | None) -> Team:
    """The tier-``tier`` team best placed for a ticket: by category, then by the service's
    owner, then the tier's default team."""
    teams = list(Team.objects.filter(level=tier, kind__in=(TeamKind.TIER, TeamKind.SERVICE_DESK)))
    if not teams:
        raise InvalidInput(f"the organisation has no tier-{tier} team", field="to_tier")
    if category:
        for team in teams:
            if category.lower() in {c.lower() for c in team.categories}:
                return team
    if service and service.owner_team_id:
        for team in teams:
            if team.pk == service.owner_team_id:
                return team
    return sorted(teams, key=lambda t: (not t.is_default_for_tier, t.pk))[0]
