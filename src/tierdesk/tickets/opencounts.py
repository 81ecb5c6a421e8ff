"""How many open tickets a person sees, per team and tier, without counting them each time.

Database triggers keep a row of changes per ticket that opens, closes or moves
(``models.OpenTicketCount``); what a viewer sees of whole teams is added up from those
rows. Only the open tickets they see one by one outside their teams (assigned to them,
requested or worked on by them) are read, each grant from its own index
(:func:`tierdesk.accounts.policy.open_work_view`). All parts are one statement, so the
answer is as exact as counting every ticket: one snapshot, the same access policy.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BigIntegerField, Count, IntegerField, Q, Sum, Value

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.tickets.models import OpenTicketCount, Ticket, TicketType
from tierdesk.tickets.selectors import is_open

Key = tuple[int | None, int | None]
FOLD_AT = 1_000  # change rows worth folding; reading fewer costs well under a millisecond
# Written by migration 0009; a migration that rebuilds either table must write them again.
TRIGGERS = {
    "tickets_ticket": (
        "tickets_count_open_insert",
        "tickets_count_open_delete",
        "tickets_count_open_update",
        "tickets_participation_follow",
    ),
    "tickets_participation": ("tickets_participation_copy",),
}


def visible_open_counts(viewer: User) -> Counter[Key]:
    """Open tickets ``viewer`` may see, per (team id, tier)."""
    view = policy.open_work_view(viewer)
    stored = OpenTicketCount.objects.order_by()
    if view.teams is not None:
        stored = stored.filter(team_id__in=view.teams)
    if not view.security:
        stored = stored.filter(security=False)
    # A total's first column is NULL; a ticket's rows carry its id there. The parts line
    # up by their order in values_list(), which Django keeps in a UNION.
    totals = (
        stored.values("team_id", "tier")
        .annotate(ref=Value(None, BigIntegerField()), n=Sum("delta"))
        .values_list("ref", "team_id", "tier", "n")
    )
    one = Value(1, IntegerField())
    rows = totals.union(*(part.annotate(one=one).order_by() for part in view.beyond), all=True)
    counts: Counter[Key] = Counter()
    seen: set[int] = set()
    for ref, team_id, tier, n in rows:
        if ref is not None:
            if ref in seen:
                continue  # granted twice (requested by and worked on, say): counted once
            seen.add(ref)
        counts[(team_id, tier)] += n
    return +counts


def fold(at_least: int | None = None) -> int:
    """Replace the change rows with one row per key once ``at_least`` rows (``FOLD_AT``
    unless given) could go; returns how many rows were folded (0: too few to bother).

    Safe beside writers and other folds on both databases: the DELETE takes exactly the
    rows its snapshot sees and returns them, and their sum goes back as new rows in the
    same transaction. Rows committed meanwhile stay as they are, still counted.
    """
    rows = OpenTicketCount.objects.count()
    keys = OpenTicketCount.objects.values("team_id", "tier", "security").distinct().count()
    if rows - keys < (FOLD_AT if at_least is None else at_least):
        return 0
    table = connection.ops.quote_name(OpenTicketCount._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} RETURNING team_id, tier, security, delta")
            changes = cursor.fetchall()
        totals: Counter[tuple[int | None, int | None, bool]] = Counter()
        for team_id, tier, security, delta in changes:
            totals[(team_id, tier, bool(security))] += delta
        _store(totals)
    return len(changes)


def recount() -> None:
    """Count the open tickets again and keep only those totals.

    For when the change rows cannot be trusted: Django's ``flush`` empties tables one by
    one on SQLite, and tickets deleted after the counts leave their -1 rows behind. On
    PostgreSQL the ticket table is locked against writers meanwhile (a ticket committed
    between the DELETE and the count would be counted twice).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE tickets_ticket IN SHARE MODE")
        OpenTicketCount.objects.all().delete()
        open_tickets = (
            Ticket.objects.filter(is_open())
            .values_list("team_id", "tier")
            .annotate(
                security=Count("pk", filter=Q(type=TicketType.SECURITY_INCIDENT)),
                n=Count("pk"),
            )
            .order_by()
        )
        totals: Counter[tuple[int | None, int | None, bool]] = Counter()
        for team_id, tier, security, n in open_tickets:
            totals[(team_id, tier, True)] += security
            totals[(team_id, tier, False)] += n - security
        _store(totals)


def _store(totals: Counter[tuple[int | None, int | None, bool]]) -> None:
    OpenTicketCount.objects.bulk_create(
        OpenTicketCount(team_id=team_id, tier=tier, security=security, delta=n)
        for (team_id, tier, security), n in totals.items()
        if n
    )


def trigger_problems(db: BaseDatabaseWrapper) -> list[str]:
    """The triggers the counts and the participations' copies need that ``db`` lacks."""
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c"
                " ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            )
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        present = set(cursor.fetchall())
    return [
        f"missing trigger {name} on {table}"
        for table, names in TRIGGERS.items()
        for name in names
        if (table, name) not in present
    ]


def recount_after_migrate(using: str, **_: Any) -> None:
    """``post_migrate`` receiver (``flush`` sends it too): see :func:`recount`. Does
    nothing where the table is not there (migrated back before 0009)."""
    db = connections[using]
    table = OpenTicketCount._meta.db_table
    if using == DEFAULT_DB_ALIAS and table in db.introspection.table_names():
        recount()
