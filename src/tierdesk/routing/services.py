"""Where a ticket goes: routing rules for new tickets and team choice for escalations."""

from __future__ import annotations

from dataclasses import dataclass, field

from tierdesk.core.errors import Conflict, InvalidInput
from tierdesk.org import config
from tierdesk.org.models import RequesterOrganisation, Service, Team, TeamKind
from tierdesk.routing.rules import Draft, matches


@dataclass
class Decision:
    team: Team
    rule_id: int | None = None
    rule_name: str = ""
    category: str | None = None
    priority: str | None = None
    assignee_id: int | None = None
    watcher_ids: list[int] = field(default_factory=list)


def service_desk() -> Team:
    desk = config.current()
    if desk.service_desk_id is None:
        raise Conflict("the organisation has no service desk team: apply an org file first")
    return desk.team(desk.service_desk_id)


def organisation_for_rules(organisation_id: int | None) -> str | None:
    """The organisation slug a draft carries for routing; None while no rule matches on one.

    Slugs come from the desk configuration, which an organisation edit reloads; one added in
    bulk (without signals) since it was read is looked up.
    """
    desk = config.current()
    if organisation_id is None or "organisation" not in desk.condition_keys:
        return None
    slug = desk.organisation_slugs.get(organisation_id)
    if slug is None:
        slug = (
            RequesterOrganisation.objects.filter(pk=organisation_id)
            .values_list("slug", flat=True)
            .first()
        )
    return slug


def route(draft: Draft) -> Decision:
    """The first enabled rule that matches decides; otherwise the service desk (L1) takes it.

    Security incidents always go to the security team, whatever a rule says: only that team
    (and the roles configured for it) may see them.
    """
    decision = _first_match(draft) or Decision(team=service_desk())
    if draft.type == "security_incident" and decision.team.kind != TeamKind.SECURITY:
        decision.team = security_team()
    return decision


def security_team() -> Team:
    desk = config.current()
    if desk.security_id is None:
        raise Conflict("the organisation has no security team to take security incidents")
    return desk.team(desk.security_id)


def _first_match(draft: Draft) -> Decision | None:
    desk = config.current()
    for rule in desk.rules:
        if matches(rule.conditions, draft):
            return Decision(
                team=desk.team(rule.team_id) if rule.team_id else service_desk(),
                rule_id=rule.pk,
                rule_name=rule.name,
                category=rule.set_category or None,
                priority=rule.set_priority or None,
                assignee_id=rule.assignee_id,
                watcher_ids=list(rule.watcher_ids),
            )
    return None


def route_to_team(slug: str, ticket_type: str) -> Decision:
    """The team a channel named (a desk address mapped to a team), from the cached desk
    configuration; a security incident still goes to security."""
    team = config.current().team_with_slug(slug)
    if team is None:
        raise InvalidInput(f"team: no team {slug!r}", field="team")
    if ticket_type == "security_incident" and team.kind != TeamKind.SECURITY:
        team = security_team()
    return Decision(team=team)


def team_for_tier(tier: int, category: str, service: Service | None) -> Team:
    """The tier-``tier`` team best placed for a ticket: by category, then by the service's
    owner, then the tier's default team. Teams come from the cached desk configuration:
    every automatic escalation asks."""
    desk = config.current()
    teams = sorted(
        (
            desk.team(pk)
            for pk, team in desk.teams.items()
            if team.level == tier and team.kind in (TeamKind.TIER, TeamKind.SERVICE_DESK)
        ),
        key=lambda team: team.slug,  # the teams' own order, as a query gives them
    )
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
