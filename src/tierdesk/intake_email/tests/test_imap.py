"""IMAP polling against a real Dovecot on loopback, started by the test with a throwaway
configuration: every message lands exactly once, also when the poller dies mid-batch."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

from tierdesk.conf.env import ConfigurationError
from tierdesk.intake_email import imap
from tierdesk.intake_email.imap import MailboxConfig, parse_mailboxes, poll_mailbox
from tierdesk.intake_email.models import InboundMessage, MailboxState
from tierdesk.intake_email.services import ingest
from tierdesk.intake_email.tests.conftest import make_mail
from tierdesk.tickets.models import Ticket

DOVECOT = "/usr/sbin/dovecot"
pytestmark = pytest.mark.django_db(transaction=True)

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass(frozen=True)
class Dovecot:
    port: int
    user: str = "helpdesk"
    password: str = "imap secret"

    def config(self, **fields: object) -> MailboxConfig:
        values: dict[str, object] = {
            "name": "helpdesk",
            "host": "127.0.0.1",
            "port": self.port,
            "security": "none",
            "username": self.user,
            "password": self.password,
            "address": "helpdesk@example.com",
            **fields,
        }
        return MailboxConfig(**values)  # type: ignore[arg-type]

    def box(self) -> MailBoxUnencrypted:
        return MailBoxUnencrypted("127.0.0.1", self.port).login(self.user, self.password)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        pytest.skip("Dovecot is not installed (/usr/sbin/dovecot): apt-get install dovecot-imapd")
    root = Path(tempfile.mkdtemp(prefix="td-dovecot-"))
    root.chmod(0o755)  # dovecot's unprivileged processes must reach their sockets
    (root / "home").mkdir(mode=0o777)
    (root / "home").chmod(0o777)
    server = Dovecot(port=_free_port())
    (root / "passwd").write_text(f"{server.user}:{{PLAIN}}{server.password}\n")
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=server.port))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"dovecot did not start: {output}")
            time.sleep(0.05)
    try:
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def append(server: Dovecot, count: int, *, start: int = 0) -> None:
    with server.box() as box:
        for n in range(start, start + count):
            box.append(make_mail(subject=f"Request {n}", message_id=f"<imap-{n}@client>"), "INBOX")


def unseen(server: Dovecot) -> list[str]:
    with server.box() as box:
        return box.uids("UNSEEN")


def test_polling_turns_each_message_into_one_ticket_and_marks_it_seen(desk, dovecot):
    append(dovecot, 3)
    result = poll_mailbox(dovecot.config())
    assert (result.stored, result.acknowledged) == (3, 3)
    assert sorted(Ticket.objects.values_list("title", flat=True)) == [
        "Request 0",
        "Request 1",
        "Request 2",
    ]
    assert unseen(dovecot) == []
    assert MailboxState.objects.get(name="helpdesk").last_uid == 3
    assert poll_mailbox(dovecot.config()).fetched == 0  # resumes after the last UID


def test_a_poller_killed_mid_batch_after_a_commit_resumes_and_lands_each_message_once(
    desk, dovecot, monkeypatch
):
    append(dovecot, 6)
    real = imap.acknowledge
    marked: list[int] = []

    def dies_on_the_fourth(box, config, uid):
        if len(marked) == 3:
            raise KeyboardInterrupt("poller killed")
        marked.append(uid)
        real(box, config, uid)

    monkeypatch.setattr(imap, "acknowledge", dies_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        poll_mailbox(dovecot.config())
    assert InboundMessage.objects.count() == 4  # the fourth was committed, not yet marked
    assert len(unseen(dovecot)) == 3

    monkeypatch.setattr(imap, "acknowledge", real)
    poll_mailbox(dovecot.config())
    assert InboundMessage.objects.count() == 6
    assert Ticket.objects.count() == 6
    assert unseen(dovecot) == []
    assert not InboundMessage.objects.filter(source_acked=False).exists()


def test_a_poller_killed_before_a_commit_fetches_that_message_again(desk, dovecot, monkeypatch):
    append(dovecot, 4)
    real = ingest.store
    stored: list[int] = []

    def dies_on_the_third(raw, source, **kwargs):
        if len(stored) == 2:
            raise KeyboardInterrupt("poller killed")
        stored.append(1)
        return real(raw, source, **kwargs)

    monkeypatch.setattr(imap, "store", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        poll_mailbox(dovecot.config())
    assert Ticket.objects.count() == 2
    monkeypatch.setattr(imap, "store", real)
    poll_mailbox(dovecot.config())
    assert Ticket.objects.count() == 4
    assert InboundMessage.objects.count() == 4
    assert unseen(dovecot) == []


def test_a_uidvalidity_reset_rescans_without_taking_anything_twice(desk, dovecot):
    append(dovecot, 2)
    poll_mailbox(dovecot.config())
    MailboxState.objects.filter(name="helpdesk").update(uidvalidity=1)
    with dovecot.box() as box:
        box.flag(box.uids("ALL"), "\\Seen", False)
    result = poll_mailbox(dovecot.config())
    assert (result.fetched, result.duplicates, result.stored) == (2, 2, 0)
    assert Ticket.objects.count() == 2
    assert unseen(dovecot) == []


def test_processed_mail_can_be_moved_to_another_folder(desk, dovecot):
    with dovecot.box() as box:
        box.folder.create("Processed")
    append(dovecot, 2)
    poll_mailbox(dovecot.config(move_to="Processed"))
    with dovecot.box() as box:
        assert box.uids("ALL") == []
        box.folder.set("Processed")
        assert len(box.uids("ALL")) == 2
    assert Ticket.objects.count() == 2


def test_the_same_message_delivered_twice_to_the_mailbox_is_taken_once(desk, dovecot):
    raw = make_mail(message_id="<twice@client>")
    with dovecot.box() as box:
        box.append(raw, "INBOX")
        box.append(raw, "INBOX")
    result = poll_mailbox(dovecot.config())
    assert (result.stored, result.duplicates) == (1, 1)
    assert Ticket.objects.count() == 1
    assert unseen(dovecot) == []


def test_a_password_file_is_read_at_each_pass(desk, dovecot, tmp_path):
    secret = tmp_path / "imap-password"
    secret.write_text(dovecot.password + "\n")
    append(dovecot, 1)
    config = dovecot.config(password=None, password_file=str(secret))
    assert poll_mailbox(config).stored == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{}", "expected a JSON list"),
        ('[{"name": "a", "host": "h"}]', "needs ['username']"),
        ('[{"name": "a", "host": "h", "username": "u"}]', "needs a password"),
        (
            '[{"name": "a", "host": "h", "username": "u", "password": "p", "security": "tls"}]',
            "security must be",
        ),
        (
            '[{"name": "a", "host": "h", "username": "u", "password": "p", "colour": 1}]',
            "unknown keys",
        ),
    ],
)
def test_a_bad_mailbox_configuration_fails_naming_the_problem(text, problem):
    with pytest.raises(ConfigurationError, match="TIERDESK_IMAP_MAILBOXES") as error:
        parse_mailboxes(text)
    assert problem in str(error.value)


def test_tierdesk_mail_poll_reads_its_mailboxes_from_the_environment(desk, dovecot, monkeypatch):
    import json

    from typer.testing import CliRunner

    from tierdesk.cli.main import app

    append(dovecot, 2)
    monkeypatch.setenv(
        "TIERDESK_IMAP_MAILBOXES",
        json.dumps(
            [
                {
                    "name": "helpdesk",
                    "host": "127.0.0.1",
                    "port": dovecot.port,
                    "security": "none",
                    "username": dovecot.user,
                    "password": dovecot.password,
                    "address": "helpdesk@example.com",
                }
            ]
        ),
    )
    result = CliRunner().invoke(app, ["mail", "poll"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "helpdesk: 2 new, 0 duplicate(s), 2 marked on the server" in result.output
    assert Ticket.objects.count() == 2
