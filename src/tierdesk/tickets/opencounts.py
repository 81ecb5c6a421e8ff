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

from django.db import connection, transaction
from django.db.models import BigIntegerField, IntegerField, Sum, Value

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.tickets.models import OpenTicketCount

Key = tuple[int | None, int | None]
FOLD_AT = 1_000  # change rows worth folding; reading fewer costs well under a millisecond
TOTAL = 0  # the first column of a stored total; a ticket's own rows carry its id


def visible_open_counts(viewer: User) -> Counter[Key]:
    """Open tickets ``viewer`` may see, per (team id, tier)."""
    view = policy.open_work_view(viewer)
    stored = OpenTicketCount.objects.order_by()
    if view.teams is not None:
        stored = stored.filter(team_id__in=view.teams)
    if not view.security:
        stored = stored.filter(security=False)
    totals = (
        stored.values("team_id", "tier")
        .annotate(ref=Value(TOTAL, BigIntegerField()), n=Sum("delta"))
        .values_list("ref", "team_id", "tier", "n")
    )
    one = Value(1, IntegerField())
    rows = totals.union(
        *(part.annotate(one=one).order_by() for part in view.beyond),
        all=True,
    )
    counts: Counter[Key] = Counter()
    seen: set[int] = set()
    for ref, team_id, tier, n in rows:
        if ref != TOTAL:
            if ref in seen:
                continue  # granted twice (assigned to and worked on, say): counted once
            seen.add(ref)
        counts[(team_id, tier)] += n
    return +counts


def fold(at_least: int | None = None) -> int:
    """Replace the change rows with one row per key once there are ``at_least`` of them
    (``FOLD_AT`` unless given); returns how many rows were folded (0: too few to bother).

    Safe beside writers and other folds on both databases: the DELETE takes exactly the
    rows its snapshot sees and returns them, and their sum goes back as new rows in the
    same transaction. Rows committed meanwhile stay as they are, still counted.
    """
    if OpenTicketCount.objects.count() < (FOLD_AT if at_least is None else at_least):
        return 0
    table = connection.ops.quote_name(OpenTicketCount._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} RETURNING team_id, tier, security, delta")
            rows = cursor.fetchall()
        totals: Counter[tuple[int | None, int | None, bool]] = Counter()
        for team_id, tier, security, delta in rows:
            totals[(team_id, tier, bool(security))] += delta
        OpenTicketCount.objects.bulk_create(
            OpenTicketCount(team_id=team_id, tier=tier, security=security, delta=n)
            for (team_id, tier, security), n in totals.items()
            if n
        )
    return len(rows)
