from __future__ import annotations

from django.db import models


class OpenTicketCount(models.Model):
    """Changes to the number of open tickets per team, tier and whether they are security
    incidents, written by database triggers on the ticket table in the transaction that
    changes the ticket (migration ``0009_open_work_counts``).

    Each row is a change (+1, -1), so concurrent writers only ever insert and never wait on
    each other; readers add the rows up, and :func:`tierdesk.tickets.opencounts.fold` now and
    then replaces them with one row per key. Plain columns, not foreign keys: the table is
    derived from the tickets and follows them, whatever happens to a team.
    """

    team_id = models.BigIntegerField(null=True)
    tier = models.PositiveSmallIntegerField(null=True)
    security = models.BooleanField()
    delta = models.IntegerField()
