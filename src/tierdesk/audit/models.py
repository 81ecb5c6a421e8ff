from __future__ import annotations

from django.conf import settings
from django.db import models


class Event(models.Model):
    """An append-only record of one change, chained per subject with a keyed hash.

    ``chain`` is ``ticket:<id>`` or ``org``; chaining per ticket lets writers on different
    tickets proceed without serialising on one global head. ``kind`` and values are codes,
    never translated labels.
    """

    chain = models.CharField(max_length=40)
    seq = models.PositiveIntegerField()
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="events",
        db_constraint=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=40)
    field = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="one_event_per_seq")]
        indexes = [models.Index(fields=["ticket", "seq"], name="event_by_ticket")]


class ChainHead(models.Model):
    """The last event of each chain, so that truncating a chain is detectable."""

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.PositiveIntegerField()
    hash = models.CharField(max_length=64)
    # HMAC over (chain, seq, hash): a head rolled back to an earlier event's values (which
    # are readable in the events table) no longer matches without the key.
    mac = models.CharField(max_length=64, default="")
