"""Who may see and change what: the one access policy behind the API, CLI, UI and exports.

Not allowed to see → the object does not exist for the actor (:class:`NotFound`); allowed to
see but not to change → :class:`Forbidden`. Everything that lists tickets filters through
:func:`visible_tickets`, so counts, search and exports can never disagree with detail views;
counts from stored totals use :func:`open_work_view`, the same rule split by its grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from tierdesk.accounts.models import Role, User
from tierdesk.core.errors import Forbidden, NotFound
from tierdesk.org import policies
from tierdesk.org.models import Membership, TeamKind

if TYPE_CHECKING:
    from tierdesk.tickets.models import Ticket

SEES_EVERYTHING = frozenset(
    {Role.ADMIN, Role.AUDITOR, Role.INCIDENT_MANAGER, Role.IT_MANAGER, Role.CIO}
)
CHANGES_EVERYTHING = frozenset({Role.ADMIN, Role.INCIDENT_MANAGER, Role.IT_MANAGER, Role.CIO})


def _memberships(user: User) -> dict[int, str]:
    """The user's teams and their kinds, read once per user object (one request)."""
    cached: dict[int, str] | None = getattr(user, "_team_kinds", None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("team_id", "team__kind"))
        user._team_kinds = cached  # type: ignore[attr-defined]
    return cached


def team_ids(user: User) -> set[int]:
    return set(_memberships(user))


def is_security_member(user: User) -> bool:
    return TeamKind.SECURITY in _memberships(user).values()


def sees_security_incidents(user: User) -> bool:
    cached: bool | None = getattr(user, "_sees_security", None)
    if cached is None:
        cached = (
            user.role == Role.ADMIN
            or user.role in policies.security_visible_roles()
            or is_security_member(user)
        )
        user._sees_security = cached  # type: ignore[attr-defined]
    return cached


def visible_tickets(user: User, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    from tierdesk.tickets.models import Participation, Ticket, TicketType

    tickets = Ticket.objects.all() if queryset is None else queryset
    if not user.is_active:
        return tickets.none()
    if user.role == Role.REQUESTER:
        own = Q(requester=user)
        if user.organisation_id and policies.requesters_see_organisation():
            own |= Q(requester_organisation_id=user.organisation_id) & ~Q(
                type=TicketType.SECURITY_INCIDENT
            )
        return tickets.filter(own)
    security_ok = sees_security_incidents(user)
    if user.role in SEES_EVERYTHING:
        scope: Q = Q()
    else:
        # A plain subquery, not a correlated EXISTS: the database reads the user's few
        # participations once instead of probing them for every candidate ticket.
        # open_work_view splits these grants for counting; the two must say the same.
        involved = Participation.objects.filter(user=user).values("ticket_id")
        scope = (
            Q(team_id__in=team_ids(user))
            | Q(assignee=user)
            | Q(requester=user)
            | Q(pk__in=involved)
        )
    if not security_ok:
        scope &= ~Q(type=TicketType.SECURITY_INCIDENT)
    return tickets.filter(scope)


@dataclass(frozen=True)
class OpenWorkView:
    """The open tickets a user sees, in two parts that never overlap: every open ticket of
    ``teams`` (None: of every team), security incidents only when
    ``security``; and, outside those teams, what ``beyond`` finds ticket by ticket, as
    (ticket id, team id, tier) rows, one query per grant, a ticket possibly in several.

    Counts from stored per-team totals rely on this (``tickets.opencounts``): it says
    exactly what :func:`visible_tickets` grants, split by how it grants it.
    """

    teams: set[int] | None
    security: bool
    beyond: list[QuerySet[Any, tuple[int, int | None, int | None]]]


def open_work_view(user: User) -> OpenWorkView:
    """The open tickets ``user`` sees, split as :class:`OpenWorkView` describes: staff see
    their teams whole; those who see everything see every team; requesters (and anyone
    inactive) see no team whole, only what :func:`visible_tickets` finds for them."""
    from tierdesk.tickets.models import Participation, Ticket, TicketType
    from tierdesk.tickets.selectors import is_open

    security = sees_security_incidents(user)
    columns = ("pk", "team_id", "tier")
    if not user.is_active or user.role == Role.REQUESTER:
        mine = visible_tickets(user, Ticket.objects.filter(is_open())).values_list(*columns)
        return OpenWorkView(set(), security, [mine])
    if user.role in SEES_EVERYTHING:
        return OpenWorkView(None, security, [])
    teams = team_ids(user)
    # The grants of visible_tickets besides whole teams, each read through its own index;
    # a participation carries a copy of its ticket's team, tier, type and open state.
    elsewhere = Ticket.objects.filter(is_open()).exclude(team_id__in=teams)
    worked = Participation.objects.filter(user=user, ticket_open=True).exclude(
        ticket_team_id__in=teams
    )
    if not security:
        elsewhere = elsewhere.exclude(type=TicketType.SECURITY_INCIDENT)
        worked = worked.exclude(ticket_security=True)
    return OpenWorkView(
        teams,
        security,
        [
            elsewhere.filter(assignee=user).values_list(*columns),
            elsewhere.filter(requester=user).values_list(*columns),
            worked.values_list("ticket_id", "ticket_team_id", "ticket_tier"),
        ],
    )


def can_view(user: User, ticket: Ticket) -> bool:
    return visible_tickets(user).filter(pk=ticket.pk).exists()


def can_view_loaded(user: User, ticket: Ticket) -> bool:
    """:func:`can_view` for a ticket already in hand, without a query when ``user`` is its
    requester (one's own request is visible unless it is a security incident the user is
    not cleared for: the rules of :func:`visible_tickets`)."""
    from tierdesk.tickets.models import TicketType

    if ticket.requester_id != user.pk:
        return can_view(user, ticket)
    if not user.is_active:
        return False
    if user.role == Role.REQUESTER or ticket.type != TicketType.SECURITY_INCIDENT:
        return True
    return sees_security_incidents(user)


def require_view(user: User, ticket: Ticket) -> None:
    if not can_view(user, ticket):
        raise NotFound(f"no ticket {ticket.key}")


def may_work_on(user: User, ticket: Ticket) -> bool:
    """Any agent of the holding team may act on its tickets, whoever they are assigned to."""
    if user.role in CHANGES_EVERYTHING:
        return True
    if user.role in (Role.REQUESTER, Role.AUDITOR):
        return False
    return ticket.team_id in team_ids(user) or ticket.assignee_id == user.pk


def require_work(user: User, ticket: Ticket) -> None:
    require_view(user, ticket)
    if not may_work_on(user, ticket):
        raise Forbidden(f"you may read {ticket.key} but not change it")


def require_reply(user: User, ticket: Ticket) -> None:
    """Who may add a public reply: the requester, watchers (a colleague on Cc, who gets
    future public replies but never the history) and staff who may work on the ticket."""
    if user.role == Role.REQUESTER:
        if is_requester_of(user, ticket) or ticket.watchers.filter(pk=user.pk).exists():
            return
        require_view(user, ticket)
        return
    require_work(user, ticket)


def sees_internal_notes(user: User) -> bool:
    return user.role != Role.REQUESTER


def is_requester_of(user: User, ticket: Ticket) -> bool:
    return ticket.requester_id == user.pk
