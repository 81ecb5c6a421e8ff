"""Nothing is lost: what cannot be processed waits in quarantine with its reason and its raw
bytes, and comes back with `tierdesk mail reprocess`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import OperationalError
from django.utils import timezone
from typer.testing import CliRunner

from tierdesk.cli.main import app
from tierdesk.intake_email import jobs
from tierdesk.intake_email.models import InboundMessage, InboundStatus, Outcome, QuarantineReason
from tierdesk.intake_email.services import apply as apply_module
from tierdesk.intake_email.services import ingest
from tierdesk.intake_email.services.ingest import Source, reprocess, store
from tierdesk.intake_email.services.parsepool import ParsePool, set_pool
from tierdesk.intake_email.tests.conftest import make_mail
from tierdesk.notifications.models import Notification
from tierdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


# A fresh worker's start-up counts against the limit and can pass a second on a busy machine,
# so only a message the slow parser hangs on (for two minutes) gets the short limit.
ROOMY_LIMIT = 30
HANG_LIMIT = 1


@pytest.fixture
def flaky_parser(settings):
    settings.MAIL_PARSE_TIMEOUT = ROOMY_LIMIT
    pool = ParsePool(target="tierdesk.intake_email.tests.slowparse:parse")
    old = set_pool(pool)
    yield pool
    pool.close()
    set_pool(old)


@pytest.fixture
def deliver_hanging(deliver, settings, flaky_parser):
    """Deliver a message the slow parser hangs on, under a limit of HANG_LIMIT seconds."""

    def run(raw):
        settings.MAIL_PARSE_TIMEOUT = HANG_LIMIT
        try:
            return deliver(raw)
        finally:
            settings.MAIL_PARSE_TIMEOUT = ROOMY_LIMIT

    return run


def test_a_message_that_parses_too_long_is_quarantined_and_intake_goes_on(
    desk, deliver, deliver_hanging, flaky_parser, tmp_path
):
    stuck = deliver_hanging(make_mail(headers={"X-Test-Hang": "yes"}, subject="Hangs the parser"))

    assert stuck.status == InboundStatus.QUARANTINED
    assert stuck.reason == QuarantineReason.PARSE_TIMEOUT
    assert stuck.detail == f"parsing took longer than {HANG_LIMIT} s"
    with flaky_parser.worker() as worker:
        assert worker.process is None, "the hung worker must be killed, not left sleeping"
    assert stuck.subject == "Hangs the parser"  # listed with what a header peek shows
    copy = tmp_path / "mail" / "quarantine" / f"{stuck.pk}.eml"
    assert b"X-Test-Hang: yes" in copy.read_bytes()

    after = deliver(make_mail(subject="Next one"))
    assert after.outcome == Outcome.TICKET_CREATED


def test_a_message_that_kills_the_parser_is_quarantined(desk, deliver, flaky_parser):
    message = deliver(make_mail(headers={"X-Test-Crash": "yes"}))
    assert message.reason == QuarantineReason.PARSER_CRASHED
    assert deliver(make_mail(subject="Still working")).outcome == Outcome.TICKET_CREATED


def test_reprocessing_a_quarantined_message_makes_it_a_ticket(desk, deliver_hanging):
    message = deliver_hanging(make_mail(headers={"X-Test-Hang": "yes"}))
    set_pool(None)  # the normal parser again, as after an upgrade
    assert reprocess(message.pk) == InboundStatus.PROCESSED
    message.refresh_from_db()
    assert message.outcome == Outcome.TICKET_CREATED
    assert message.reason == ""


def test_an_empty_message_is_quarantined_as_unparseable(desk, deliver):
    message = deliver(b"\r\n\r\n")
    assert message.reason == QuarantineReason.UNPARSEABLE


def test_a_processing_failure_quarantines_the_message_with_the_error(desk, deliver, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("routing table on fire")

    monkeypatch.setattr(apply_module, "create_ticket", broken)
    message = deliver(make_mail())
    assert message.status == InboundStatus.QUARANTINED
    assert message.reason == QuarantineReason.PROCESSING_ERROR
    assert "routing table on fire" in message.detail
    assert not Ticket.objects.exists()

    monkeypatch.undo()
    assert reprocess(message.pk) == InboundStatus.PROCESSED
    assert Ticket.objects.count() == 1


def test_a_database_outage_while_processing_leaves_the_message_stored_for_later(
    desk, monkeypatch, django_capture_on_commit_callbacks
):
    def outage(*args, **kwargs):
        raise OperationalError("database is locked")

    stored = store(make_mail(), Source("test", "import"), enqueue=False)
    monkeypatch.setattr(apply_module, "person_for", outage)
    with pytest.raises(OperationalError):
        ingest.process(stored.pk)
    assert InboundMessage.objects.get(pk=stored.pk).status == InboundStatus.RECEIVED

    monkeypatch.undo()
    InboundMessage.objects.filter(pk=stored.pk).update(
        received_at=timezone.now() - timedelta(minutes=10)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.requeue_stuck() == 1  # the immediate task backend runs it at once
    assert InboundMessage.objects.get(pk=stored.pk).status == InboundStatus.PROCESSED


def test_oversize_mail_is_quarantined_whole_and_its_sender_told_once(desk, deliver, settings):
    settings.MAIL_MAX_BYTES = 20_000
    raw = make_mail(
        sender="Big Sender <big@client.example>",
        attachments=[("scan.tiff", "image/tiff", b"x" * 30_000)],
    )
    message = deliver(raw)
    assert message.reason == QuarantineReason.OVERSIZE
    assert message.size == len(raw)
    assert not Ticket.objects.exists()
    [notice] = mail.outbox
    assert notice.to == ["big@client.example"]
    assert notice.extra_headers["Auto-Submitted"] == "auto-replied"
    assert "too large" in notice.subject

    mail.outbox.clear()
    assert reprocess(message.pk) == InboundStatus.QUARANTINED
    deliver(raw, Source("other-mailbox", "import"))
    assert mail.outbox == []
    assert Notification.objects.filter(kind="postmaster_oversize").count() == 1


def test_oversize_mail_from_a_machine_gets_no_notice(desk, deliver, settings):
    settings.MAIL_MAX_BYTES = 20_000
    raw = make_mail(sender="MAILER-DAEMON@mx.client.example", body="x" * 30_000)
    assert deliver(raw).reason == QuarantineReason.OVERSIZE
    assert mail.outbox == []


def test_admins_list_the_quarantine_and_reprocess_it_from_the_cli(desk, deliver, monkeypatch):
    monkeypatch.setattr(apply_module, "create_ticket", lambda *a, **k: 1 / 0)
    message = deliver(make_mail(subject="Needs an admin"))
    monkeypatch.undo()
    runner = CliRunner()

    listing = runner.invoke(app, ["mail", "quarantine"], catch_exceptions=False)
    assert listing.exit_code == 0
    assert f"{message.pk}\t" in listing.output
    assert "processing_error" in listing.output
    assert "Needs an admin" in listing.output

    retried = runner.invoke(app, ["mail", "reprocess", str(message.pk)], catch_exceptions=False)
    assert retried.exit_code == 0, retried.output
    assert f"{message.pk}: processed" in retried.output
    assert "quarantine is empty" in runner.invoke(app, ["mail", "quarantine"]).output
