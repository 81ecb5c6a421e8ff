"""Picking an assignee inside a team, by the team's strategy. Only members on shift count."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, Sum, Value, When

from tierdesk.accounts.models import User
from tierdesk.org.models import AssignmentStrategy, Team
from tierdesk.tickets.models.enums import OPEN_STATUSES

# Open work weighs by urgency of its priority: one P1 is as much load as eight P5s.
PRIORITY_WEIGHT = {"P1": 8, "P2": 5, "P3": 3, "P4": 2, "P5": 1}


def candidates(team: Team) -> list[User]:
    return list(
        User.objects.filter(memberships__team=team, on_shift=True, is_active=True)
        .exclude(role="requester")
        .order_by("pk")
    )


def pick_assignee(team: Team, category: str = "") -> User | None:
    """Who a new ticket at ``team`` goes to, or None for manual teams / nobody on shift."""
    strategy = team.assignment_strategy
    if strategy == AssignmentStrategy.MANUAL:
        return None
    people = candidates(team)
    if not people:
        return None
    if strategy == AssignmentStrategy.ROUND_ROBIN:
        return _next_in_turn(team, people)
    if strategy == AssignmentStrategy.SKILLS and category:
        skilled = [p for p in people if category.lower() in {s.lower() for s in p.skills}]
        people = skilled or people
    return _least_loaded(people)


def _next_in_turn(team: Team, people: list[User]) -> User:
    """Advance the team's round-robin cursor.

    The cursor row is taken with SKIP LOCKED: a transaction never waits on a team row while
    it holds a ticket (that is how commands and the scheduler deadlocked). When another
    assignment holds the cursor this instant, the least-loaded member gets the ticket.
    """
    cursor = list(
        Team.objects.select_for_update(skip_locked=True)
        .filter(pk=team.pk)
        .values_list("last_assigned_id", flat=True)
    )
    if not cursor:
        return _least_loaded(people)
    last = cursor[0]
    after = [p for p in people if last is None or p.pk > last]
    chosen = after[0] if after else people[0]
    Team.objects.filter(pk=team.pk).update(last_assigned=chosen)
    return chosen


def _least_loaded(people: list[User]) -> User:
    weight = Case(
        *[When(assigned_tickets__priority=p, then=Value(w)) for p, w in PRIORITY_WEIGHT.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    loads = dict(
        User.objects.filter(pk__in=[p.pk for p in people])
        .annotate(
            load=Sum(weight, filter=Q(assigned_tickets__status__in=OPEN_STATUSES), default=0),
        )
        .values_list("pk", "load")
    )
    return min(people, key=lambda person: (loads.get(person.pk) or 0, person.pk))
