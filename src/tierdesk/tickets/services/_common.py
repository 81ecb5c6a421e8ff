from __future__ import annotations

import functools
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from tierdesk.accounts.models import User
from tierdesk.audit.services import AuditTrail, ticket_chain
from tierdesk.core.errors import InvalidInput, NotFound, StaleVersion
from tierdesk.core.rows import from_row, insert_many, select_list, update_one
from tierdesk.org.models import Team
from tierdesk.tickets.models import Participation, Ticket, TierStint

SYSTEM_CHANNEL = "system"


def lock(ticket: Ticket | int) -> Ticket:
    """Re-read the ticket under its row lock, with its team, requester and assignee;
    commands never act on a stale copy.

    Every command starts here, so the statement is built once per process (the ORM spent
    several times the query's own time compiling it and building the four models).
    """
    pk = ticket if isinstance(ticket, int) else ticket.pk
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(), [pk])
        row = cursor.fetchone()
    if row is None:
        raise NotFound(f"no ticket with id {pk}")
    ticket_end = len(Ticket._meta.concrete_fields)
    team_end = ticket_end + len(Team._meta.concrete_fields)
    requester_end = team_end + len(User._meta.concrete_fields)
    locked = from_row(Ticket, row[:ticket_end])
    locked.team = from_row(Team, row[ticket_end:team_end])
    locked.requester = from_row(User, row[team_end:requester_end])
    # A LEFT JOIN without a match gives NULL for every column, the primary key among them.
    assignee = row[requester_end:]
    locked.assignee = None if assignee[0] is None else from_row(User, assignee)
    return locked


@functools.cache
def _lock_sql() -> str:
    quote = connection.ops.quote_name
    user, meta = quote(User._meta.db_table), Ticket._meta
    team, requester = meta.get_field("team").column, meta.get_field("requester").column
    assignee = meta.get_field("assignee").column
    lock = " FOR UPDATE OF t" if connection.features.has_select_for_update_of else ""
    return (
        f"SELECT {select_list('t', Ticket)}, {select_list('tm', Team)},"
        f" {select_list('r', User)}, {select_list('a', User)}"
        f" FROM {quote(meta.db_table)} t"
        f" JOIN {quote(Team._meta.db_table)} tm ON tm.{quote('id')} = t.{quote(team)}"
        f" JOIN {user} r ON r.{quote('id')} = t.{quote(requester)}"
        f" LEFT JOIN {user} a ON a.{quote('id')} = t.{quote(assignee)}"
        f" WHERE t.{quote('id')} = %s{lock}"
    )


def watchers_of(ticket: Ticket) -> list[User]:
    """The ticket's watchers, whole (a public reply tells each of them), by one statement
    built once per process, as :func:`lock` reads the ticket's own people."""
    with connection.cursor() as cursor:
        cursor.execute(_watchers_sql(), [ticket.pk])
        return [from_row(User, row) for row in cursor.fetchall()]


@functools.cache
def _watchers_sql() -> str:
    quote = connection.ops.quote_name
    through = Ticket.watchers.through._meta
    user_column = quote(through.get_field("user").column)
    ticket_column = quote(through.get_field("ticket").column)
    return (
        f"SELECT {select_list('u', User)} FROM {quote(User._meta.db_table)} u"
        f" JOIN {quote(through.db_table)} w ON w.{user_column} = u.{quote('id')}"
        f" WHERE w.{ticket_column} = %s ORDER BY u.{quote('id')}"
    )


def check_version(ticket: Ticket, expected: int | None) -> None:
    if expected is not None and expected != ticket.version:
        raise StaleVersion(ticket.version)


def trail_for(ticket: Ticket, actor: User | None, channel: str, at: datetime) -> AuditTrail:
    return AuditTrail(
        chain=ticket_chain(ticket.pk),
        actor_id=actor.pk if actor else None,
        channel=channel,
        at=at,
        ticket_id=ticket.pk,
    )


def save(ticket: Ticket, at: datetime, *fields: str) -> None:
    """Write ``fields`` of a ticket read with :func:`lock`, with its next version.

    An UPDATE by primary key rather than ``Model.save``, which reads the row count to check
    that the row is still there (the lock says it is) and cannot run pipelined
    (``core.pipeline``).
    """
    ticket.version += 1
    ticket.updated_at = at
    update_one(ticket, {*fields, "version", "updated_at"})


def participate(ticket: Ticket, user: User | None) -> None:
    if user is not None and user.role != "requester":
        insert_many([Participation(ticket=ticket, user=user)], ignore_conflicts=True)


def clean_text(value: str | None, field: str, *, max_length: int, required: bool) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", field=field)
    return text


def choice(value: str | None, field: str, allowed: list[str], default: str) -> str:
    if value is None or value == "":
        return default
    if value not in allowed:
        raise InvalidInput(f"{field}: {value!r} is not one of {', '.join(allowed)}", field=field)
    return value


def after_commit(callback: object) -> None:
    transaction.on_commit(callback)  # type: ignore[arg-type]


def end_stint(ticket: Ticket, now: datetime) -> int:
    """Close the ticket's current stay at its team; returns the whole seconds spent there
    (rounded down, never negative), which the stay keeps.

    One statement: read first and written after, it was two round trips of the five an
    escalation in a scheduler batch costs. The database counts the seconds, exactly as
    ``max(0, int((now - started_at).total_seconds()))`` would.
    """
    if timezone.is_naive(now):
        raise ValueError("a stay ends at an aware instant")
    sql, instants = _end_stint_sql()
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*[at] * instants, ticket.pk])
        row = cursor.fetchone()
    return 0 if row is None else int(row[0])


@functools.cache
def _end_stint_sql() -> tuple[str, int]:
    """The statement, and how many times it takes the instant before the ticket's id."""
    quote, meta = connection.ops.quote_name, TierStint._meta
    table, started = quote(meta.db_table), quote("started_at")
    if connection.vendor == "postgresql":
        # An interval's epoch is exact (numeric) since PostgreSQL 14.
        elapsed = f"FLOOR(EXTRACT(EPOCH FROM (CAST(%s AS timestamptz) - {started})))"
        greatest, instants = "GREATEST", 2
    else:
        # Instants are stored as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]': whole seconds
        # apart, less one where the later one's microseconds are fewer. Floating point
        # (julianday) would miss a second now and then, and so would strftime given the
        # fraction: it rounds that to the millisecond first (.9996 counts as a second).
        whole = "CAST(strftime('%%s', substr({}, 1, 19)) AS INTEGER)"
        micros = "CAST(substr({} || '.000000', 21, 6) AS INTEGER)"
        elapsed = (
            f"({whole.format('%s')} - {whole.format(started)}"
            f" - ({micros.format('%s')} < {micros.format(started)}))"
        )
        greatest, instants = "MAX", 3
    sql = (
        f"UPDATE {table} SET {quote('ended_at')} = %s,"
        f" {quote('seconds')} = CAST({greatest}(0, {elapsed}) AS integer)"
        f" WHERE {quote('id')} = (SELECT {quote('id')} FROM {table}"
        f" WHERE {quote(meta.get_field('ticket').column)} = %s AND {quote('ended_at')} IS NULL"
        f" ORDER BY {quote('id')} DESC LIMIT 1) RETURNING {quote('seconds')}"
    )
    return sql, instants
