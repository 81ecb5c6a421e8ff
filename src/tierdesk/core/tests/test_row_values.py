"""Rows written through ``core.rows`` carry exactly the values the ORM would store."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import DateTimeField, Model
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierdesk.audit.models import Event
from tierdesk.core import rows, savepoints
from tierdesk.core.pipeline import pipelined
from tierdesk.notifications.models import Notification
from tierdesk.scheduler.models import Timer
from tierdesk.tickets.models import Comment, Ticket, TierStint
from tierdesk.tickets.services import NewTicket, add_comment, create_ticket

pytestmark = pytest.mark.django_db


def comparable(values: list[object]) -> list[object]:
    # psycopg's JSON wrappers (Jsonb) have no equality of their own: compare what they wrap.
    return [getattr(value, "obj", value) for value in values]


def orm_values(obj: Model) -> list[object]:
    return comparable(
        [
            field.get_db_prep_save(field.pre_save(obj, True), connection)
            for field in rows._columns(type(obj))
        ]
    )


def test_a_new_tickets_rows_are_prepared_as_the_orm_prepares_them(org):
    ticket = create_ticket(NewTicket(title="VPN drops every hour"), requester=org.requester)
    add_comment(ticket, "Since Monday", actor=org.requester)
    written: list[Model] = [
        ticket,
        *Comment.objects.filter(ticket=ticket),
        *TierStint.objects.filter(ticket=ticket),
        *Event.objects.filter(ticket_id=ticket.pk),
        *Notification.objects.filter(ticket=ticket),
        *Timer.objects.filter(ticket=ticket),
    ]
    assert {type(obj) for obj in written} >= {Ticket, Comment, TierStint, Event, Notification}
    for obj in written:
        assert comparable(rows._values(connection, type(obj), [obj])) == orm_values(obj), type(obj)


def test_an_instant_in_another_zone_is_prepared_as_the_orm_prepares_it(org):
    ticket = create_ticket(NewTicket(title="VPN drops every hour"), requester=org.requester)
    for zone in (ZoneInfo("Europe/Berlin"), ZoneInfo("UTC"), timezone(timedelta(hours=-5))):
        timer = Timer(ticket=ticket, kind="ola", due_at=datetime(2026, 3, 29, 2, 30, tzinfo=zone))
        assert comparable(rows._values(connection, Timer, [timer])) == orm_values(timer), zone


plain_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.text(max_size=30),
)


@given(value=plain_values)
def test_a_value_taken_as_it_is_is_what_its_field_would_prepare(value):
    """Every field class the shortcut trusts returns a value of its type unchanged."""
    for field_class, kind in rows._UNCHANGED.items():
        field = field_class(primary_key=True) if "Auto" in field_class.__name__ else field_class()
        field.set_attributes_from_name("value")
        if value is None or (type(value) is kind and kind is not datetime):
            assert field.get_db_prep_save(value, connection) == value, field_class.__name__


@given(
    instant=st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    )
)
def test_an_instant_in_utc_is_stored_as_its_field_would_store_it(instant):
    field = DateTimeField()
    field.set_attributes_from_name("at")
    as_stored = rows._instant_as_stored(connection)

    assert as_stored is not None  # both databases the desk runs on take the short way
    assert as_stored(instant) == field.get_db_prep_save(instant, connection)


NASTY_TEXT = [
    *("", "NULL", "null", '{"a": 1}', "{1,2}", 'say "hi", \\ then', "ünïcødé ✓", "a\nb\tc"),
    *("\\N", "\\.", "\r\n\\\t"),  # what COPY's text format would read as NULL, end, escapes
]


# Each example removes its own rows; the organisation is only read.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=50)
@given(texts=st.lists(st.text(max_size=40).filter(lambda t: "\x00" not in t), min_size=2))
def test_rows_inserted_together_read_back_as_they_were_given(org, texts):
    ticket = create_ticket(NewTicket(title="Printer jammed"), requester=org.requester)
    given_rows = [
        Notification(
            dedup_key=f"together:{index}:{ticket.pk}:{len(texts)}:{hash(text)}",
            recipient=org.requester if index % 2 else None,
            to_address=text[:200],
            ticket=ticket,
            kind="ticket_opened",
            subject=text,
            body=NASTY_TEXT[index % len(NASTY_TEXT)],
            render_later={"template": text, "context": {"list": [text, None, index], "n": None}}
            if index % 3
            else None,
            created_at=ticket.created_at,
        )
        for index, text in enumerate(texts)
    ]
    rows.insert_many(given_rows)
    stored = {
        n.dedup_key: n for n in Notification.objects.filter(dedup_key__startswith="together:")
    }
    for row in given_rows:
        back = stored[row.dedup_key]
        assert orm_values(back) == orm_values(row)
    Notification.objects.filter(dedup_key__startswith="together:").delete()


def notifications_for(ticket, keys, **values):
    return [
        Notification(
            dedup_key=key, ticket=ticket, kind="sla_alert", created_at=ticket.created_at, **values
        )
        for key in keys
    ]


def test_rows_already_there_are_skipped_and_a_value_too_long_for_its_column_is_refused(org):
    ticket = create_ticket(NewTicket(title="Printer jammed"), requester=org.requester)
    first = [f"skip:{n}" for n in range(10)]
    rows.insert_many(notifications_for(ticket, first, subject="first"), ignore_conflicts=True)
    # Thirty rows (on PostgreSQL a COPY that conflicts, sent again as INSERTs), a third of
    # them already stored, none with a JSON value at all.
    again = [f"skip:{n}" for n in range(30)]
    rows.insert_many(notifications_for(ticket, again, subject="again"), ignore_conflicts=True)
    stored = dict(
        Notification.objects.filter(dedup_key__startswith="skip:").values_list(
            "dedup_key", "subject"
        )
    )
    assert stored == {key: "first" if key in first else "again" for key in again}
    written = Notification.objects.filter(dedup_key__startswith="skip:")
    assert not written.filter(render_later__isnull=False).exists()
    if connection.vendor == "postgresql":  # SQLite does not enforce a varchar's length
        with pytest.raises(DataError), transaction.atomic():
            rows.insert_many(
                notifications_for(ticket, ["long:1", "long:2", "long:3"], subject="x" * 301)
            )


def test_rows_already_there_are_skipped_in_a_batch_without_savepoints_and_it_carries_on(org):
    """A scheduler batch runs without savepoints: a notification owed twice must not spoil it."""
    ticket = create_ticket(NewTicket(title="Printer jammed"), requester=org.requester)
    rows.insert_many(notifications_for(ticket, ["batch:3"], subject="first"))
    keys = [f"batch:{n}" for n in range(12)]
    with transaction.atomic(), savepoints.left_out():
        rows.insert_many(notifications_for(ticket, keys, subject="again"), ignore_conflicts=True)
        assert not savepoints.spoiled()
        rows.insert_many(notifications_for(ticket, ["batch:late"], subject="late"))
    stored = dict(
        Notification.objects.filter(dedup_key__startswith="batch:").values_list(
            "dedup_key", "subject"
        )
    )
    assert stored == {
        **dict.fromkeys(keys, "again"),
        "batch:3": "first",
        "batch:late": "late",
    }


def test_rows_already_there_are_skipped_in_a_pipelined_block(org):
    ticket = create_ticket(NewTicket(title="Printer jammed"), requester=org.requester)
    rows.insert_many(notifications_for(ticket, ["piped:0"], subject="first"))
    keys = [f"piped:{n}" for n in range(8)]
    with transaction.atomic(), pipelined():
        rows.insert_many(notifications_for(ticket, keys, subject="again"), ignore_conflicts=True)
    stored = Notification.objects.filter(dedup_key__startswith="piped:")
    assert dict(stored.values_list("dedup_key", "subject")) == {
        key: "first" if key == "piped:0" else "again" for key in keys
    }


def statements(captured: CaptureQueriesContext) -> list[str]:
    """What each captured statement was: its first word (and how often an executemany ran)."""
    return [
        re.match(r"(\d+ times: )?\w+", query["sql"]).group()  # type: ignore[union-attr]
        for query in captured.captured_queries
    ]


@pytest.mark.postgres
def test_many_rows_go_in_by_one_copy_and_are_sent_again_as_inserts_only_on_a_conflict(org):
    ticket = create_ticket(NewTicket(title="Printer jammed"), requester=org.requester)
    with CaptureQueriesContext(connection) as clean:
        rows.insert_many(notifications_for(ticket, [f"copy:{n}" for n in range(20)]))
    assert statements(clean) == ["COPY"]
    keys = [f"copy:{n}" for n in range(15, 30)]
    with transaction.atomic(), CaptureQueriesContext(connection) as conflicting:
        rows.insert_many(notifications_for(ticket, keys, subject="later"), ignore_conflicts=True)
    assert statements(conflicting) == [
        *("SAVEPOINT", "COPY", "ROLLBACK", "RELEASE"),
        "15 times: INSERT",
    ]
    later = Notification.objects.filter(subject="later").values_list("dedup_key", flat=True)
    assert sorted(later) == sorted(f"copy:{n}" for n in range(20, 30))


def instance_state(obj: Model) -> tuple[dict[str, object], dict[str, object], bool, str | None]:
    values = {name: value for name, value in vars(obj).items() if name != "_state"}
    return values, dict(obj._state.fields_cache), obj._state.adding, obj._state.db


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(
    given_names=st.sets(
        st.sampled_from(["subject", "body", "render_later", "status", "attempts", "sent_at"])
    ),
    recipient_by=st.sampled_from(["instance", "id", "none", "left out"]),
)
def test_a_row_built_by_build_is_the_instance_the_model_builds(org, given_names, recipient_by):
    person = org.requester
    values: dict[str, object] = {
        "subject": "Disk full",
        "body": "line one\nline two",
        "render_later": {"template": "sla_alert", "context": {"n": 1}},
        "status": "suppressed",
        "attempts": 3,
        "sent_at": datetime(2026, 1, 2, tzinfo=UTC),
    }
    kwargs = {name: values[name] for name in given_names}
    if recipient_by == "instance":
        kwargs["recipient"] = person
    elif recipient_by == "id":
        kwargs["recipient_id"] = person.pk
    elif recipient_by == "none":
        kwargs["recipient"] = None
    kwargs.update(dedup_key="built", kind="sla_alert", created_at=datetime(2026, 1, 1, tzinfo=UTC))

    assert instance_state(rows.build(Notification, **kwargs)) == instance_state(
        Notification(**kwargs)
    )


def test_build_refuses_a_field_the_model_does_not_have():
    with pytest.raises(TypeError, match="'colour'"):
        rows.build(Timer, kind="ola", colour="red")


def test_rows_sharing_one_json_value_each_store_all_of_it(org):
    """COPY encodes a value the rows share once; every row must still hold it whole."""
    ticket = create_ticket(NewTicket(title="Printer jammed"), requester=org.requester)
    shared = {"template": "escalated", "context": {"note": 'tab\there, "quoted", \\N', "n": 2}}
    other = {"template": "sla_alert", "context": {"what": "ünïcødé ✓"}}
    given = notifications_for(ticket, [f"shared:{n}" for n in range(6)], render_later=shared)
    given += notifications_for(ticket, ["shared:other"], render_later=other)
    given += notifications_for(ticket, ["shared:none"], render_later=None)
    rows.insert_many(given, ignore_conflicts=True)
    stored = dict(
        Notification.objects.filter(dedup_key__startswith="shared:").values_list(
            "dedup_key", "render_later"
        )
    )
    assert stored == {
        **{f"shared:{n}": shared for n in range(6)},
        "shared:other": other,
        "shared:none": None,
    }


@pytest.mark.postgres  # SQLite's INSERT OR IGNORE skips a NOT NULL violation too
def test_a_row_that_breaks_another_constraint_is_refused_not_skipped(org):
    ticket = create_ticket(NewTicket(title="Printer jammed"), requester=org.requester)
    broken = notifications_for(ticket, [f"broken:{n}" for n in range(5)])
    broken[2].kind = None  # NOT NULL: ON CONFLICT DO NOTHING does not skip that
    with transaction.atomic(), savepoints.left_out():
        with pytest.raises(IntegrityError):
            rows.insert_many(broken, ignore_conflicts=True)
        # The copy is undone, and the transaction goes on as the caller left it.
        assert not Notification.objects.filter(dedup_key__startswith="broken:").exists()
        rows.insert_many(notifications_for(ticket, ["broken:after"]))
    assert Notification.objects.filter(dedup_key="broken:after").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_already_there_are_skipped_outside_a_transaction_too(org):
    ticket = create_ticket(NewTicket(title="Printer jammed"), requester=org.requester)
    rows.insert_many(notifications_for(ticket, ["alone:1"], subject="first"))
    keys = [f"alone:{n}" for n in range(6)]
    assert connection.get_autocommit()
    rows.insert_many(notifications_for(ticket, keys, subject="again"), ignore_conflicts=True)
    stored = Notification.objects.filter(dedup_key__startswith="alone:")
    assert dict(stored.values_list("dedup_key", "subject")) == {
        key: "first" if key == "alone:1" else "again" for key in keys
    }


def test_build_refuses_a_relation_given_twice_or_as_the_wrong_model(org):
    with pytest.raises(TypeError, match="recipient or recipient_id"):
        rows.build(Notification, recipient=org.requester, recipient_id=org.lead.pk)
    with pytest.raises(ValueError, match="must be a User"):
        rows.build(Notification, recipient=org.requester.pk)
