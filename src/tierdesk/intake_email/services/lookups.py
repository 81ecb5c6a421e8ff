"""The rows the mail path reads for nearly every message: the sender's account and the
ticket a reply names (or an automatic message's sender last opened).

Plain SQL built once per process, turned into models by ``core.rows.from_row``: through
the ORM each lookup spent about twenty times the query's own time compiling it and
building the models (0.3-0.4 ms of Python per message, against 0.02 ms for the statement
on SQLite). They select what ``accounts.selectors.with_email`` and a ``select_related``
of the requester would.
"""

from __future__ import annotations

import functools
from datetime import datetime

from django.db import connection

from tierdesk.accounts.models import User
from tierdesk.core.rows import from_row, select_list
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES_SQL


def account_for(address: str) -> User | None:
    """The account with this email address in any letter case, active ones first, then the
    oldest (found through the index on the lower-cased address)."""
    with connection.cursor() as cursor:
        cursor.execute(_account_sql(), [address.strip().lower()])
        row = cursor.fetchone()
    return None if row is None else from_row(User, row)


def ticket_with_requester(pk: int) -> Ticket | None:
    """Ticket ``pk`` with its requester loaded, or None."""
    with connection.cursor() as cursor:
        cursor.execute(_ticket_sql(), [pk])
        row = cursor.fetchone()
    return _with_requester(row)


def newest_open_ticket_of(requester: User, since: datetime) -> Ticket | None:
    """The newest ticket ``requester`` opened since ``since`` that is still open, with its
    requester loaded, or None (walked newest first on the index by requester)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _newest_open_sql(), [requester.pk, connection.ops.adapt_datetimefield_value(since)]
        )
        row = cursor.fetchone()
    return _with_requester(row)


def _with_requester(row: tuple | None) -> Ticket | None:
    if row is None:
        return None
    width = len(Ticket._meta.concrete_fields)
    ticket = from_row(Ticket, row[:width])
    ticket.requester = from_row(User, row[width:])
    return ticket


@functools.cache
def _account_sql() -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT {select_list('u', User)} FROM {quote(User._meta.db_table)} u"
        f" WHERE LOWER(u.{quote('email')}) = %s"
        f" ORDER BY u.{quote('is_active')} DESC, u.{quote('id')} LIMIT 1"
    )


@functools.cache
def _ticket_sql() -> str:
    return f"{_with_requester_sql()} WHERE t.{connection.ops.quote_name('id')} = %s"


@functools.cache
def _newest_open_sql() -> str:
    quote = connection.ops.quote_name
    requester = quote(Ticket._meta.get_field("requester").column)
    return (
        f"{_with_requester_sql()} WHERE t.{requester} = %s AND t.{quote('status')}"
        f" IN ({OPEN_STATUSES_SQL}) AND t.{quote('created_at')} >= %s ORDER BY t.{quote('id')} DESC"
        " LIMIT 1"
    )


def _with_requester_sql() -> str:
    quote = connection.ops.quote_name
    requester = quote(Ticket._meta.get_field("requester").column)
    return (
        f"SELECT {select_list('t', Ticket)}, {select_list('u', User)}"
        f" FROM {quote(Ticket._meta.db_table)} t JOIN {quote(User._meta.db_table)} u"
        f" ON u.{quote('id')} = t.{requester}"
    )
