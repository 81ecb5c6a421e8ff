"""`tierdesk mail import` for an .eml file, an mbox and a Maildir; `tierdesk smtp` as the
process `tierdesk serve` starts."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierdesk.cli.main import app
from tierdesk.intake_email import conf
from tierdesk.intake_email.models import InboundMessage
from tierdesk.intake_email.tests.conftest import HELPDESK, make_mail
from tierdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_importing_an_eml_file_opens_a_ticket(desk, tmp_path):
    path = tmp_path / "one.eml"
    path.write_bytes(make_mail(subject="From a file"))
    result = run("mail", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "imported 1 message(s): 1 processed" in result.output
    assert Ticket.objects.get().title == "From a file"


def test_importing_an_mbox_twice_takes_each_message_once(desk, tmp_path):
    path = tmp_path / "archive.mbox"
    with open(path, "wb") as out:
        for n in range(3):
            out.write(b"From someone@example.com Mon Mar  2 10:00:00 2026\n")
            out.write(
                make_mail(subject=f"Mbox {n}", body="From the start\n").replace(
                    b"\nFrom ", b"\n>From "
                )
            )
            out.write(b"\n")
    first = run("mail", "import", str(path), "--address", HELPDESK)
    assert "3 processed" in first.output, first.output
    again = run("mail", "import", str(path))
    assert "3 duplicate" in again.output
    assert Ticket.objects.count() == 3
    assert all(t.team.slug == "service-desk" for t in Ticket.objects.all())


def test_importing_a_maildir_reads_new_and_cur(desk, tmp_path):
    for sub in ("new", "cur", "tmp"):
        (tmp_path / "Maildir" / sub).mkdir(parents=True)
    (tmp_path / "Maildir" / "new" / "1.host").write_bytes(make_mail(subject="New one"))
    (tmp_path / "Maildir" / "cur" / "2.host:2,S").write_bytes(make_mail(subject="Seen one"))
    (tmp_path / "Maildir" / "tmp" / "3.host").write_bytes(make_mail(subject="In delivery"))
    result = run("mail", "import", str(tmp_path / "Maildir"))
    assert "2 processed" in result.output, result.output
    assert sorted(Ticket.objects.values_list("title", flat=True)) == ["New one", "Seen one"]


def test_importing_something_that_is_not_mail_fails_with_one_line(tmp_path):
    result = CliRunner().invoke(app, ["mail", "import", str(tmp_path / "missing.mbox")])
    assert result.exit_code == 1
    assert "no such file or directory" in result.output


def test_the_listen_address_comes_from_tierdesk_smtp_listen(monkeypatch):
    monkeypatch.delenv("TIERDESK_SMTP_LISTEN", raising=False)
    assert conf.smtp_listen() == ("127.0.0.1", 2525)
    monkeypatch.setenv("TIERDESK_SMTP_LISTEN", "0.0.0.0:25")
    assert conf.smtp_listen() == ("0.0.0.0", 25)
    monkeypatch.setenv("TIERDESK_SMTP_LISTEN", "[::1]:2526")
    assert conf.smtp_listen() == ("::1", 2526)
    monkeypatch.setenv("TIERDESK_SMTP_LISTEN", "localhost")
    with pytest.raises(Exception, match="TIERDESK_SMTP_LISTEN"):
        conf.smtp_listen()


SETUP = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "tierdesk.intake_email.tests.settings_outbox"
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tierdesk.testing import build_org
from tierdesk.org.models import DeskPolicy
build_org()
DeskPolicy.objects.create(key="mail_addresses", value=[
    {"address": "helpdesk@example.com", "team": "service-desk", "type": "incident"}])
"""
COUNT = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "tierdesk.intake_email.tests.settings_outbox"
django.setup()
from tierdesk.tickets.models import Ticket
from tierdesk.notifications.models import Notification
print(Ticket.objects.count(), Ticket.objects.first().team.slug,
      Notification.objects.filter(kind="ticket_opened", status="sent").count())
"""


@pytest.mark.django_db(transaction=True)
def test_tierdesk_smtp_listens_on_tierdesk_smtp_listen_and_stops_on_sigterm(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "TIERDESK_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": "",
        "TIERDESK_SMTP_LISTEN": f"127.0.0.1:{port}",
        "TIERDESK_TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "TIERDESK_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "tierdesk.intake_email.tests.settings_outbox",
    }
    subprocess.run([sys.executable, "-c", SETUP], env=env, check=True, timeout=120)
    server = subprocess.Popen(
        [sys.executable, "-m", "tierdesk", "smtp"],  # as `tierdesk serve` starts it
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                    client.sendmail("rita@example.com", [HELPDESK], make_mail())
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "tierdesk smtp did not start"
                time.sleep(0.2)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
    counted = subprocess.run(
        [sys.executable, "-c", COUNT],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert counted.stdout.split() == ["1", "service-desk", "1"]
    outbox = list((Path(env["TIERDESK_DATA_DIR"]) / "outbox").glob("*.eml"))
    assert len(outbox) == 1
    assert not InboundMessage.objects.exists()  # the subprocess used its own database
