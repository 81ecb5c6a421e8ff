"""How the big tables are laid out: what each new row costs to write, and what it keeps."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.utils import timezone

from tierdesk.intake_email.models import InboundMessage
from tierdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

LZ4_COLUMNS = {
    "intake_email_inboundmessage": {"raw", "text", "html"},
    "tickets_ticket": {"description"},
    "tickets_comment": {"body"},
    "notifications_notification": {"body", "body_html"},
}


def leading_columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {c["columns"][0] for c in constraints.values() if c["index"] and c["columns"]}


def test_every_ticket_foreign_key_that_lost_its_own_index_still_leads_one():
    # PROTECT checks on deleting a person or a team, and the per-requester and per-team
    # lists, read these.
    leading = leading_columns(Ticket._meta.db_table)
    for field in ("requester", "team"):
        assert Ticket._meta.get_field(field).column in leading, field


@pytest.mark.postgres
def test_stored_mail_and_long_texts_are_compressed_with_lz4():
    assert connection.vendor == "postgresql", "column compression is PostgreSQL's"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname FROM pg_attribute a"
            " JOIN pg_class c ON c.oid = a.attrelid"
            " WHERE a.attcompression = 'l' AND c.relname = ANY(%s)",
            [list(LZ4_COLUMNS)],
        )
        found: dict[str, set[str]] = {}
        for table, column in cursor.fetchall():
            found.setdefault(table, set()).add(column)
    assert found == LZ4_COLUMNS


@pytest.mark.postgres
def test_the_ticket_table_is_vacuumed_long_before_postgresql_would_by_default():
    # Its counting reads stay index-only only on pages a vacuum marked all-visible.
    assert connection.vendor == "postgresql", "autovacuum is PostgreSQL's"
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'tickets_ticket'")
        options = dict(option.split("=") for option in cursor.fetchone()[0])
    assert float(options["autovacuum_vacuum_scale_factor"]) <= 0.01
    assert float(options["autovacuum_vacuum_insert_scale_factor"]) <= 0.01


def test_a_large_message_reads_back_byte_for_byte():
    raw = b"Subject: scan\r\n\r\n" + os.urandom(300_000) + b"printer " * 50_000
    text = "the printer on floor 3 " * 20_000
    message = InboundMessage.objects.create(
        mailbox="test",
        content_hash="x" * 64,
        size=len(raw),
        raw=raw,
        text=text,
        html=text,
        received_at=timezone.now(),
    )
    stored = InboundMessage.objects.get(pk=message.pk)
    assert bytes(stored.raw) == raw
    assert stored.text == text
    assert stored.html == text
