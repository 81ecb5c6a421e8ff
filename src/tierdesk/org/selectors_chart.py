"""The data behind the org chart: teams, their people and their current load.

Three queries whatever the size of the organisation: teams with leads, memberships with
people, and one aggregate over open tickets.
"""

from __future__ import annotations

from django.db.models import Count, Q

from tierdesk.accounts.models import RoleTitle
from tierdesk.org.chart import ChartMember, ChartTeam
from tierdesk.org.models import Membership, Team
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES

BREACHING = Q(resolution_breached=True) | Q(first_response_breached=True) | Q(ola_breached=True)


def team_queue_href(slug: str) -> str:
    return f"/queues/team/{slug}"


def chart_teams() -> list[ChartTeam]:
    """Every team (in the order created) with its active members and ticket load."""
    teams = list(Team.objects.select_related("lead", "parent").order_by("pk"))
    members: dict[int, list[ChartMember]] = {}
    memberships = (
        Membership.objects.filter(user__is_active=True)
        .select_related("user", "team")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    titles = dict(RoleTitle.choices)
    for membership in memberships:
        user = membership.user
        members.setdefault(membership.team_id, []).append(
            ChartMember(
                name=user.display_name,
                role_title=str(titles.get(user.role_title, user.get_role_display())),
                on_shift=user.on_shift,
                is_lead=membership.team.lead_id == user.pk,
            )
        )
    load = {
        row["team"]: row
        for row in Ticket.objects.filter(status__in=OPEN_STATUSES)
        .values("team")
        .annotate(open=Count("id"), breaching=Count("id", filter=BREACHING))
        .order_by()
    }
    return [
        ChartTeam(
            slug=team.slug,
            name=team.name,
            kind=team.kind,
            level=team.level,
            parent_slug=team.parent.slug if team.parent else None,
            lead_name=team.lead.display_name if team.lead else None,
            members=tuple(members.get(team.pk, ())),
            open_tickets=int(load.get(team.pk, {}).get("open", 0)),
            breaching=int(load.get(team.pk, {}).get("breaching", 0)),
            href=team_queue_href(team.slug),
        )
        for team in teams
    ]
