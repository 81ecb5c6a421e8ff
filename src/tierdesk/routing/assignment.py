"""Picking an assignee inside a team, by the team's strategy. Only members on shift count."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from tierdesk.accounts.models import User
from tierdesk.org.models import AssignmentStrategy, Team
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.selectors import is_open

# Open work weighs by urgency of its priority: one P1 is as much load as eight P5s.
PRIORITY_WEIGHT = {"P1": 8, "P2": 5, "P3": 3, "P4": 2, "P5": 1}


def candidates(team: Team) -> list[User]:
    """The members of ``team`` who may get a ticket now, by id, loaded with only their id and
    skills: that is all choosing reads, and building a whole desk as full users on every new
    ticket was a fifth of creating it. :func:`pick_assignee` loads the chosen one whole."""
    return list(_eligible(team).only("id", "skills").order_by("pk"))


def pick_assignee(team: Team, category: str = "", people: list[User] | None = None) -> User | None:
    """Who a new ticket at ``team`` goes to, or None for manual teams / nobody on shift.

    ``people`` is :func:`candidates` read before the caller's transaction, so that the write
    lock is not held while a desk is read; the chosen one is checked again in here and, if
    they went off shift meanwhile, the choice is made again from the members as they are now.
    """
    strategy = team.assignment_strategy
    if strategy == AssignmentStrategy.MANUAL:
        return None
    if people:
        chosen = _choose(team, strategy, category, people)
        still = list(_eligible(team).filter(pk=chosen.pk)[:1])
        if still:
            return still[0]
    people = candidates(team)
    if not people:
        return None
    return User.objects.get(pk=_choose(team, strategy, category, people).pk)


def _eligible(team: Team) -> QuerySet[User]:
    return User.objects.filter(memberships__team=team, on_shift=True, is_active=True).exclude(
        role="requester"
    )


def _choose(team: Team, strategy: str, category: str, people: list[User]) -> User:
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
    """The person with the lightest open work (weighed by priority), lowest id on a tie.

    Counted per assignee and priority over open tickets only, from the partial index of
    open work by assignee: the whole history of each candidate used to be aggregated.
    """
    rows = (
        Ticket.objects.filter(is_open(), assignee_id__in=[p.pk for p in people])
        .values_list("assignee_id", "priority")
        .annotate(n=Count("*"))
        .order_by()
    )
    loads: dict[int, int] = {}
    for assignee_id, priority, n in rows:
        loads[assignee_id] = loads.get(assignee_id, 0) + PRIORITY_WEIGHT.get(priority, 0) * n
    return min(people, key=lambda person: (loads.get(person.pk, 0), person.pk))
