"""Picking an assignee inside a team, by the team's strategy. Only members on shift count.

Every new ticket at a team that assigns automatically runs these reads and the round-robin
write, so they are raw SQL: the ORM spent several times each query's own cost compiling it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, transaction

from tierdesk.accounts.models import User
from tierdesk.core.pipeline import pipelined
from tierdesk.core.rows import from_row, json_value
from tierdesk.core.scoped import bound
from tierdesk.org import selectors as org_selectors
from tierdesk.org.models import AssignmentStrategy, Membership, Team
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES_SQL

# A round-robin cursor held by another turn is tried this many times, this far apart.
TURN_ATTEMPTS = 3
TURN_RETRY_SECONDS = 0.001
_pause = time.sleep

# Open work weighs by urgency of its priority: one P1 is as much load as eight P5s.
PRIORITY_WEIGHT = {"P1": 8, "P2": 5, "P3": 3, "P4": 2, "P5": 1}

# Open work per person as counted in this block, with the block's own assignments added.
_counted: ContextVar[dict[int, int] | None] = ContextVar("assignment_counted", default=None)


@contextmanager
def open_work_counted_once() -> Iterator[None]:
    """Inside this block, a person's open work is counted once, then kept current with the
    assignments made in the block. For a batch that assigns many tickets in one transaction
    (the scheduler's automatic escalations): counting a team's open work took a tenth of
    each escalation at a million tickets.

    What a recount would see and the block does not: other transactions' assignments
    committed while it runs, work that leaves someone inside the block (a ticket
    escalated away or closed), and an assignment that a failed command took back.
    Choosing the least loaded is a balance, not a promise, and a counted load is never
    shown to anyone.
    """
    with bound(_counted, {}):
        yield


@dataclass(frozen=True)
class Candidate:
    """A member who may get a ticket now, with all that choosing among them reads."""

    pk: int
    skills: tuple[str, ...] = ()


def candidates(team: Team) -> list[Candidate]:
    """The members of ``team`` who may get a ticket now, by id, with their skills when the
    team assigns by skill. :func:`pick_assignee` loads the chosen one whole, after checking
    again that they still may.

    Inside a block that reads each team's members once (a scheduler batch or a mail
    import's, see :func:`tierdesk.org.selectors.team_members_read_once`), they are taken
    from that read: the scheduler's batch tells the receiving team of each escalation
    anyway, and reading the team again for every escalation was a sixth of its cost."""
    members = org_selectors.members_read_once(team.pk)
    if members is not None:
        rows = [(user.pk, user.skills) for user in _on_shift(members)]
    else:
        with connection.cursor() as cursor:
            cursor.execute(_sql().candidates, [team.pk])
            rows = [(pk, json_value(raw)) for pk, raw in cursor.fetchall()]
    if team.assignment_strategy != AssignmentStrategy.SKILLS:
        return [Candidate(pk) for pk, _ in rows]
    return [Candidate(pk, tuple(str(s) for s in skills or ())) for pk, skills in rows]


def _on_shift(members: list[User]) -> list[User]:
    """Of a team's active staff members (as ``team_members`` reads them), those who may get
    a ticket: the candidates query's condition, by id."""
    return sorted((user for user in members if user.on_shift), key=lambda user: user.pk)


def take_turn(team: Team, people: list[Candidate]) -> Candidate | None:
    """Whose turn it is at a round-robin ``team``, moving its cursor now, in a short
    transaction of its own, before the ticket's transaction opens.

    Taken inside the ticket's transaction, the cursor row stayed locked until that one
    committed: concurrent creates found it locked one time in five and counted the team's
    open work instead (5-30 ms each). A turn taken here is spent even if the ticket is then
    not opened, as a number drawn from a sequence is.

    A cursor that another create's turn holds is free again a round trip later, so it is
    tried again after a millisecond, twice: when no turn is taken here, the ticket's
    transaction often finds the cursor held as well, and the least-loaded member gets the
    ticket, which counts the whole team's open work (milliseconds at a large desk).

    None when a transaction is already open (the command's write then takes the turn, see
    :func:`pick_assignee`), for other strategies, without candidates, when another
    assignment still holds the cursor after the tries (a scheduler batch holds it until it
    commits), and on SQLite, whose single writer holds the whole database for the ticket's
    transaction anyway.
    """
    if (
        connection.vendor != "postgresql"
        or team.assignment_strategy != AssignmentStrategy.ROUND_ROBIN
        or not people
        or connection.in_atomic_block
    ):
        return None
    ids = sorted(person.pk for person in people)
    for attempt in range(TURN_ATTEMPTS):
        if attempt:
            _pause(TURN_RETRY_SECONDS)
        turn = _move_cursor(team, ids)
        if turn is not None:
            return next(person for person in people if person.pk == turn)
    return None


def _move_cursor(team: Team, ids: list[int]) -> int | None:
    """One try at the round-robin cursor; None when another assignment holds it."""
    # One round trip: the move and the commit go together, the answer is read after both.
    with pipelined(), connection.cursor() as cursor:
        with transaction.atomic():
            # Losing the cursor's last move in a crash gives someone one more turn: not
            # worth waiting for the disk on every ticket.
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(_turn_sql(), [ids, ids[0], team.pk])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def pick_assignee(
    team: Team,
    category: str = "",
    people: list[Candidate] | None = None,
    turn: Candidate | None = None,
    *,
    priority: str = "",
) -> User | None:
    """Who a new ticket at ``team`` goes to, or None for manual teams / nobody on shift.

    ``people`` is :func:`candidates` read before the caller's transaction, so that the write
    lock is not held while a desk is read, and ``turn`` the one :func:`take_turn` chose
    then. The chosen one is checked again in here and, if they went off shift meanwhile,
    the choice is made again from the members as they are now (inside a block that reads
    each team once, as that block read them). ``priority`` is the
    ticket's: what it adds to its assignee's load (see :func:`open_work_counted_once`).
    """
    strategy = team.assignment_strategy
    if strategy == AssignmentStrategy.MANUAL:
        return None
    chosen = _eligible_user(team, turn) if turn is not None else None
    if chosen is None and people:
        chosen = _eligible_user(team, _choose(team, strategy, category, people))
    if chosen is None:
        people = candidates(team)
        if not people:
            return None
        chosen = _eligible_user(team, _choose(team, strategy, category, people))
    counted = _counted.get()
    if chosen is not None and counted is not None and chosen.pk in counted:
        counted[chosen.pk] += PRIORITY_WEIGHT.get(priority, 0)
    return chosen


def _eligible_user(team: Team, candidate: Candidate) -> User | None:
    """The whole user behind ``candidate``, if they still may get a ticket at ``team``."""
    members = org_selectors.members_read_once(team.pk)
    if members is not None:  # the block's read of the team, which the candidates came from
        return next((user for user in _on_shift(members) if user.pk == candidate.pk), None)
    with connection.cursor() as cursor:
        cursor.execute(_sql().eligible_user, [team.pk, candidate.pk])
        row = cursor.fetchone()
    return None if row is None else from_row(User, row)


def _choose(team: Team, strategy: str, category: str, people: list[Candidate]) -> Candidate:
    if strategy == AssignmentStrategy.ROUND_ROBIN:
        return _next_in_turn(team, people)
    if strategy == AssignmentStrategy.SKILLS and category:
        skilled = [p for p in people if category.lower() in {s.lower() for s in p.skills}]
        people = skilled or people
    return _least_loaded(people)


def _next_in_turn(team: Team, people: list[Candidate]) -> Candidate:
    """Advance the team's round-robin cursor; when another assignment holds it this
    instant, the least-loaded member gets the ticket."""
    return _advance(team, people) or _least_loaded(people)


def _advance(team: Team, people: list[Candidate]) -> Candidate | None:
    """Move the team's round-robin cursor to the next of ``people``; None if it is locked.

    The cursor row is taken with SKIP LOCKED: a transaction never waits on a team row while
    it holds a ticket (that is how commands and the scheduler deadlocked).
    """
    statements = _sql()
    with connection.cursor() as cursor:
        cursor.execute(statements.cursor, [team.pk])
        cursor_row = cursor.fetchone()
        if cursor_row is None:
            return None
        last = cursor_row[0]
        after = [p for p in people if last is None or p.pk > last]
        chosen = after[0] if after else people[0]
        cursor.execute(statements.advance, [chosen.pk, team.pk])
    return chosen


def _least_loaded(people: list[Candidate]) -> Candidate:
    """The person with the lightest open work (weighed by priority), lowest id on a tie.

    Counted per assignee and priority over open tickets only, from the partial index of
    open work by assignee: the whole history of each candidate used to be aggregated.
    """
    counted = _counted.get()
    known = counted if counted is not None else {}
    missing = [p.pk for p in people if p.pk not in known]
    if missing:
        loads = dict.fromkeys(missing, 0)
        with connection.cursor() as cursor:
            cursor.execute(_open_work_sql(len(missing)), missing)
            for assignee_id, priority, n in cursor.fetchall():
                loads[assignee_id] += PRIORITY_WEIGHT.get(priority, 0) * n
        known.update(loads)
    return min(people, key=lambda person: (known[person.pk], person.pk))


@dataclass(frozen=True)
class _Statements:
    candidates: str
    eligible_user: str
    cursor: str
    advance: str


@functools.cache
def _sql() -> _Statements:
    quote = connection.ops.quote_name
    users, teams = quote(User._meta.db_table), quote(Team._meta.db_table)
    members = quote(Membership._meta.db_table)
    # The same members as an ORM filter on memberships, on_shift, is_active and role.
    eligible = (
        f"u.{quote('is_active')} AND u.{quote('on_shift')} AND u.{quote('role')} <> 'requester'"
        f" AND u.{quote('id')} IN (SELECT m.{quote('user_id')} FROM {members} m"
        f" WHERE m.{quote('team_id')} = %s)"
    )
    columns = ", ".join(f"u.{quote(f.column)}" for f in User._meta.concrete_fields)
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    return _Statements(
        candidates=(
            f"SELECT u.{quote('id')}, u.{quote('skills')} FROM {users} u WHERE {eligible}"
            f" ORDER BY u.{quote('id')}"
        ),
        eligible_user=f"SELECT {columns} FROM {users} u WHERE {eligible} AND u.{quote('id')} = %s",
        cursor=f"SELECT {quote('last_assigned_id')} FROM {teams} WHERE {quote('id')} = %s"
        + skip_locked,
        advance=f"UPDATE {teams} SET {quote('last_assigned_id')} = %s WHERE {quote('id')} = %s",
    )


@functools.cache
def _turn_sql() -> str:
    """:func:`_advance` as one statement (PostgreSQL): the first id after the cursor, else
    the first of all, or no row when another assignment holds the cursor."""
    quote = connection.ops.quote_name
    teams = quote(Team._meta.db_table)
    last, pk = quote("last_assigned_id"), quote("id")
    return (
        f"UPDATE {teams} SET {last} = COALESCE((SELECT min(person) FROM unnest(%s::bigint[])"
        f" AS person WHERE person > COALESCE({teams}.{last}, 0)), %s)"
        f" WHERE {pk} = (SELECT {pk} FROM {teams} WHERE {pk} = %s FOR UPDATE SKIP LOCKED)"
        f" RETURNING {last}"
    )


@functools.cache
def _open_work_sql(count: int) -> str:
    quote = connection.ops.quote_name
    assignee = quote("assignee_id")
    return (
        f"SELECT {assignee}, {quote('priority')}, COUNT(*) FROM {quote(Ticket._meta.db_table)}"
        f" WHERE {quote('status')} IN ({OPEN_STATUSES_SQL})"
        f" AND {assignee} IN ({', '.join(['%s'] * count)})"
        f" GROUP BY {assignee}, {quote('priority')}"
    )
