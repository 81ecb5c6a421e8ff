"""Bulk import: every message lands exactly once, even when the import dies midway and is
run again; what cannot be acted on is kept in quarantine, never lost."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from tierdesk.audit.models import Event
from tierdesk.core.errors import Conflict
from tierdesk.intake_email.models import (
    Attachment,
    InboundMessage,
    InboundStatus,
    Outcome,
    QuarantineReason,
)
from tierdesk.intake_email.services import apply as apply_module
from tierdesk.intake_email.services import importing, storage
from tierdesk.intake_email.services.ingest import Source, ingest_many
from tierdesk.intake_email.services.parsepool import ParsePool, ParseWorker, set_pool
from tierdesk.intake_email.tests.conftest import HELPDESK, make_mail
from tierdesk.notifications import jobs
from tierdesk.notifications.models import Notification
from tierdesk.org.models import AssignmentStrategy
from tierdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

SOURCE = Source(mailbox="import:archive", channel="import", default_address=HELPDESK)


def _archive(count: int) -> list[bytes]:
    return [make_mail(subject=f"Archived request {n}") for n in range(count)]


def _fail_on(monkeypatch: pytest.MonkeyPatch, subject: str, error: BaseException) -> None:
    real = apply_module.create_ticket

    def create_ticket(new, **kwargs):  # type: ignore[no-untyped-def]
        if new.title == subject:
            raise error
        return real(new, **kwargs)

    monkeypatch.setattr(apply_module, "create_ticket", create_ticket)


def test_an_import_that_dies_midway_lands_each_message_once_when_run_again(desk, monkeypatch):
    archive = _archive(5)
    _fail_on(monkeypatch, "Archived request 3", SystemExit("killed"))
    with pytest.raises(SystemExit):
        ingest_many(iter(archive), SOURCE)

    monkeypatch.undo()
    counts = ingest_many(iter(archive), SOURCE)

    assert counts["processed"] + counts["duplicate"] == 5
    assert sorted(Ticket.objects.values_list("title", flat=True)) == [
        f"Archived request {n}" for n in range(5)
    ]
    hashes = Counter(InboundMessage.objects.values_list("content_hash", flat=True))
    assert sorted(hashes) == sorted(hashlib.sha256(raw).hexdigest() for raw in archive)
    assert set(hashes.values()) == {1}
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {"processed"}


def test_a_message_the_import_cannot_act_on_is_quarantined_and_the_rest_land(desk, monkeypatch):
    _fail_on(monkeypatch, "Archived request 1", RuntimeError("routing table on fire"))

    counts = ingest_many(iter(_archive(3)), SOURCE)

    assert counts == Counter({"processed": 2, "quarantined": 1})
    stuck = InboundMessage.objects.get(status=InboundStatus.QUARANTINED)
    assert stuck.subject == "Archived request 1"
    assert stuck.reason == QuarantineReason.PROCESSING_ERROR
    assert "routing table on fire" in stuck.detail
    assert stuck.ticket is None
    assert Ticket.objects.count() == 2


def test_the_same_message_twice_in_one_archive_lands_once(desk):
    first, second = _archive(2)

    counts = ingest_many(iter([first, first, second, first, second]), SOURCE)

    assert counts == Counter({"processed": 2, "duplicate": 3})
    assert Ticket.objects.count() == 2


def test_a_database_outage_stops_the_import_with_nothing_half_stored(desk, monkeypatch):
    _fail_on(monkeypatch, "Archived request 1", OperationalError("database is locked"))
    archive = _archive(3)

    with pytest.raises(OperationalError):
        ingest_many(iter(archive), SOURCE)
    assert not InboundMessage.objects.filter(subject="Archived request 1").exists()

    monkeypatch.undo()
    ingest_many(iter(archive), SOURCE)
    assert Ticket.objects.count() == 3


def test_a_message_another_importer_stored_meanwhile_is_a_duplicate_and_lands_nothing(
    desk, monkeypatch
):
    raw = make_mail(subject="Stored by the other importer")
    ingest_many(iter([raw]), Source(mailbox="import:archive", channel="import"))
    other = InboundMessage.objects.get()
    other.mailbox = SOURCE.mailbox
    other.save(update_fields=["mailbox"])
    tickets_before = Ticket.objects.count()
    real = importing._already_stored
    checked: list[int] = []

    def already_stored(mailbox: str, chunk: list[importing.Incoming]) -> set[str]:
        checked.append(len(chunk))
        # The chunk was checked before the other importer committed its copy.
        return set() if len(checked) == 1 else real(mailbox, chunk)

    monkeypatch.setattr(importing, "_already_stored", already_stored)

    counts = ingest_many(iter([raw]), SOURCE)

    assert counts == Counter({"duplicate": 1})
    assert len(checked) == 2  # the chunk, then the message whose row would not go in
    assert InboundMessage.objects.filter(mailbox=SOURCE.mailbox).count() == 1
    assert Ticket.objects.count() == tickets_before


def test_an_imported_message_is_stored_once_with_its_outcome_and_what_names_it(desk):
    with_file = make_mail(
        subject="Scan attached", attachments=[("scan.pdf", "application/pdf", b"%PDF-1.4")]
    )
    plain = make_mail(subject="No attachment")

    counts = ingest_many(iter([with_file, plain]), SOURCE)

    assert counts == Counter({"processed": 2})
    for message in InboundMessage.objects.all():
        assert message.status == InboundStatus.PROCESSED
        assert message.outcome == Outcome.TICKET_CREATED
        assert message.attempts == 1
        assert message.processed_at is not None
        assert Ticket.objects.get(pk=message.ticket_id).title == message.subject
    scanned = InboundMessage.objects.get(subject="Scan attached")
    attachment = Attachment.objects.get()
    assert (attachment.inbound_id, attachment.ticket_id) == (scanned.pk, scanned.ticket_id)


def test_an_imported_bounce_is_recorded_on_its_ticket_naming_the_stored_message(desk):
    request = make_mail(sender="rita@example.com", subject="VPN down")
    ingest_many(iter([request]), SOURCE)
    ticket = Ticket.objects.get()
    bounce = make_mail(
        sender="rita@example.com",
        subject=f"Automatic reply: [{ticket.key}] VPN down",
        body="I am out of office.",
        headers={"Auto-Submitted": "auto-replied"},
    )

    assert ingest_many(iter([bounce]), SOURCE) == Counter({"processed": 1})

    message = InboundMessage.objects.get(subject__startswith="Automatic reply")
    assert (message.outcome, message.ticket_id) == (Outcome.AUTO_RECORDED, ticket.pk)
    event = Event.objects.get(ticket=ticket, kind="auto_reply_received")
    assert event.data["message"] == message.pk


def one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """However slow the machine, the import's messages land in one shared transaction: it
    is committed neither after its time is up nor while the parser is still busy."""
    monkeypatch.setattr(importing, "COMMIT_SECONDS", 600.0)
    monkeypatch.setattr(ParseWorker, "ready", lambda worker, wait=0.0: True)


def test_an_imported_batch_is_acknowledged_through_one_delivery_task(desk, settings, monkeypatch):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    one_batch(monkeypatch)
    senders = [f"user{n}@example.com" for n in range(3)]
    archive = [make_mail(sender=s, subject=f"Request from {s}") for s in senders]

    ingest_many(iter(archive), SOURCE)

    tasks = DBTaskResult.objects.filter(task_path__endswith=".deliver_owed")
    assert tasks.count() == 1
    assert jobs.deliver_owed.call(tasks.get().args_kwargs["args"][0]) == ["sent"] * 3
    acknowledged = Notification.objects.filter(kind="ticket_opened", status="sent")
    assert sorted(acknowledged.values_list("to_address", flat=True)) == senders


def test_a_message_rolled_back_in_a_batch_owes_nobody_anything(desk, settings, monkeypatch):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    one_batch(monkeypatch)
    archive = _archive(3)
    real = apply_module._after_mail

    def fail_after_creating(ticket, message, *args):  # type: ignore[no-untyped-def]
        if ticket.title == "Archived request 1":
            raise RuntimeError("disk full")  # after the ticket and its acknowledgement
        return real(ticket, message, *args)

    monkeypatch.setattr(apply_module, "_after_mail", fail_after_creating)

    counts = ingest_many(iter(archive), SOURCE)

    assert counts == {"processed": 2, "quarantined": 1}
    (task,) = DBTaskResult.objects.filter(task_path__endswith=".deliver_owed")
    keys = task.args_kwargs["args"][0]
    assert len(keys) == 3  # the rolled-back one's key too, which delivery skips
    assert jobs.deliver_owed.call(keys) == ["sent", "sent"]


def test_a_batch_reads_the_receiving_team_once_and_gives_its_tickets_in_turn(desk, monkeypatch):
    one_batch(monkeypatch)
    desk.service_desk.assignment_strategy = AssignmentStrategy.ROUND_ROBIN
    desk.service_desk.save()
    desk.l1_other.on_shift = False
    desk.l1_other.save(update_fields=["on_shift"])
    archive = [make_mail(sender=f"user{n}@example.com", subject=f"Request {n}") for n in range(4)]

    with CaptureQueriesContext(connection) as queries:
        counts = ingest_many(iter(archive), SOURCE)

    assert counts == {"processed": 4}
    team_reads = [q["sql"] for q in queries.captured_queries if "org_membership" in q["sql"]]
    assert len(team_reads) == 1
    assignees = Ticket.objects.order_by("pk").values_list("assignee__username", flat=True)
    assert list(assignees) == ["desklead", "tom", "desklead", "tom"]  # never tina, off shift


def test_a_batch_opens_no_savepoint_for_each_message(desk, monkeypatch):
    one_batch(monkeypatch)

    with CaptureQueriesContext(connection) as queries:
        counts = ingest_many(iter(_archive(4)), SOURCE)

    assert counts == {"processed": 4}
    savepoints = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    # The batch's own transaction is a savepoint here, inside the test's transaction.
    assert len([sql for sql in savepoints if sql.upper().startswith("SAVEPOINT")]) == 1


def test_a_reply_refused_after_writing_opens_a_new_ticket_and_its_batch_lands_whole(
    desk, monkeypatch
):
    ingest_many(iter([make_mail(sender="rita@example.com", subject="VPN down")]), SOURCE)
    ticket = Ticket.objects.get()
    one_batch(monkeypatch)

    def add_comment_refused_late(ticket, body, **kwargs):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            Ticket.objects.filter(pk=ticket.pk).update(title="half written")
            raise Conflict("the ticket changed meanwhile")

    monkeypatch.setattr(apply_module, "add_comment", add_comment_refused_late)
    archive = [
        make_mail(sender="sam@example.com", subject="Before the reply"),
        make_mail(sender="rita@example.com", subject=f"Re: [{ticket.key}] VPN down"),
        make_mail(sender="tess@example.com", subject="After the reply"),
    ]

    counts = ingest_many(iter(archive), SOURCE)

    assert counts == {"processed": 3}
    ticket.refresh_from_db()
    assert ticket.title == "VPN down"  # the refused reply's write is undone
    titles = Ticket.objects.exclude(pk=ticket.pk).order_by("pk").values_list("title", flat=True)
    assert list(titles) == ["Before the reply", f"Re: [{ticket.key}] VPN down", "After the reply"]
    assert InboundMessage.objects.filter(outcome=Outcome.TICKET_CREATED).count() == 4


def test_a_batch_landed_again_leaves_one_file_for_each_big_message_it_stored(
    desk, monkeypatch, settings
):
    one_batch(monkeypatch)
    _fail_on(monkeypatch, "Archived request 2", RuntimeError("routing table on fire"))
    big = b"x" * (storage.INLINE_MAX + 1)
    archive = [
        make_mail(subject=f"Archived request {n}", attachments=[("log.txt", "text/plain", big)])
        for n in range(4)
    ]

    counts = ingest_many(iter(archive), SOURCE)

    assert counts == {"processed": 3, "quarantined": 1}
    named = set(InboundMessage.objects.exclude(raw_path="").values_list("raw_path", flat=True))
    on_disk = {
        str(path.relative_to(storage.raw_dir()))
        for path in storage.raw_dir().rglob("*")
        if path.is_file()
    }
    assert len(named) == 4
    assert on_disk == named


def test_an_archive_where_failures_are_common_lands_most_batches_once(desk, monkeypatch, caplog):
    one_batch(monkeypatch)
    monkeypatch.setattr(importing, "COMMIT_MESSAGES", 2)
    archive = _archive(16)
    for n in range(0, 16, 2):  # a failure in each batch of two
        _fail_on(monkeypatch, f"Archived request {n}", RuntimeError("routing table on fire"))

    with caplog.at_level("INFO", logger=importing.__name__):
        counts = ingest_many(iter(archive), SOURCE)

    assert counts == {"processed": 8, "quarantined": 8}
    landed_again = [r for r in caplog.records if "landing them again" in r.getMessage()]
    assert len(landed_again) <= 4  # of eight batches: the later ones keep their savepoints


def test_a_batch_landed_again_leaves_no_file_of_a_quarantined_message_behind(
    desk, monkeypatch, slow_parser
):
    one_batch(monkeypatch)
    _fail_on(monkeypatch, "Fails after it", RuntimeError("routing table on fire"))
    big = [("log.txt", "text/plain", b"x" * (storage.INLINE_MAX + 1))]
    archive = [
        make_mail(subject="Crashes the parser", attachments=big, headers={"X-Test-Crash": "yes"}),
        make_mail(subject="Fails after it", attachments=big),
    ]

    counts = ingest_many(iter(archive), SOURCE)

    assert counts == {"quarantined": 2}
    rows = InboundMessage.objects.all()
    assert {path.name for path in storage.quarantine_dir().iterdir()} == {
        f"{message.pk}.eml" for message in rows
    }
    on_disk = {str(p.relative_to(storage.raw_dir())) for p in storage.raw_dir().rglob("*.eml")}
    assert on_disk == {message.raw_path for message in rows}


@pytest.fixture
def slow_parser():
    """A real parser process that takes 0.2 s over each message marked X-Test-Slow."""
    pool = ParsePool(target="tierdesk.intake_email.tests.slowparse:parse")
    old = set_pool(pool)
    yield pool
    pool.close()
    set_pool(old)


@pytest.mark.parametrize(
    ("commit_seconds", "batches"),
    [
        (600.0, 1),  # the parser is behind, within the batch's time: the batch waits for it
        (0.05, 3),  # slower than the batch's time: it commits rather than hold its locks
    ],
)
def test_a_batch_waits_for_the_parser_only_within_its_time(
    desk, settings, monkeypatch, slow_parser, commit_seconds, batches
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    monkeypatch.setattr(importing, "COMMIT_SECONDS", commit_seconds)
    archive = [
        make_mail(
            sender=f"user{n}@example.com", subject=f"Slow {n}", headers={"X-Test-Slow": "yes"}
        )
        for n in range(3)
    ]

    assert ingest_many(iter(archive), SOURCE) == {"processed": 3}

    tasks = DBTaskResult.objects.filter(task_path__endswith=".deliver_owed")
    assert tasks.count() == batches  # one delivery task per committed batch
