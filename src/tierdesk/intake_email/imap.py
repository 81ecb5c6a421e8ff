"""Polling IMAP/IMAPS mailboxes (imap-tools), resuming where the last pass stopped.

Mailboxes are configured in ``TIERDESK_IMAP_MAILBOXES``, a JSON list of objects::

    [{"name": "helpdesk", "host": "imap.example.com", "port": 993, "security": "ssl",
      "username": "helpdesk@example.com", "password_file": "/run/secrets/imap",
      "folder": "INBOX", "move_to": "Processed", "address": "helpdesk@example.com"}]

``security`` is ``ssl`` (default, port 993), ``starttls`` (143) or ``none`` (loopback and
tests only). Credentials: ``password`` / ``password_file``, or ``oauth2_token`` /
``oauth2_token_file`` (XOAUTH2; the file is re-read every pass, so a token refresher can
rewrite it). ``address`` is the desk address the mail counts as sent to when its headers
name none. Without ``move_to`` processed messages are marked seen.

Exactly once: a message is stored and committed before it is marked seen or moved; the
highest stored UID (per UIDVALIDITY) is kept in :class:`MailboxState`, and the rows of
messages committed but not yet marked on the server are finished first on the next pass.
A message fetched twice anyway (a crash between commit and bookkeeping, a UIDVALIDITY
reset) is recognised by its content hash and only marked.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import close_old_connections
from django.utils import timezone
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags

from tierdesk.conf.env import ConfigurationError, env_str
from tierdesk.intake_email.models import InboundMessage, MailboxState
from tierdesk.intake_email.services.ingest import Source, process, store

log = logging.getLogger(__name__)
SECURITY_PORTS = {"ssl": 993, "starttls": 143, "none": 143}


@dataclass(frozen=True)
class MailboxConfig:
    name: str
    host: str
    username: str
    port: int = 993
    security: str = "ssl"
    password: str | None = None
    password_file: str | None = None
    oauth2_token: str | None = None
    oauth2_token_file: str | None = None
    folder: str = "INBOX"
    move_to: str | None = None
    address: str | None = None
    timeout: float = 60.0

    @property
    def key(self) -> str:
        return f"imap:{self.name}"

    def secret(self) -> tuple[str, str]:
        """("password" | "oauth2", value), read now (files may be rotated)."""
        for kind, value, file_name in (
            ("oauth2", self.oauth2_token, self.oauth2_token_file),
            ("password", self.password, self.password_file),
        ):
            if file_name:
                return kind, Path(file_name).read_text().strip()
            if value:
                return kind, value
        raise ConfigurationError(f"TIERDESK_IMAP_MAILBOXES: {self.name}: no password or token")


def parse_mailboxes(text: str) -> list[MailboxConfig]:
    try:
        entries = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(f"TIERDESK_IMAP_MAILBOXES: not JSON: {exc}") from None
    if not isinstance(entries, list):
        raise ConfigurationError("TIERDESK_IMAP_MAILBOXES: expected a JSON list of mailboxes")
    known = set(MailboxConfig.__dataclass_fields__)
    configs = []
    for index, entry in enumerate(entries):
        where = f"TIERDESK_IMAP_MAILBOXES[{index}]"
        if not isinstance(entry, dict):
            raise ConfigurationError(f"{where}: expected an object")
        unknown = set(entry) - known
        missing = {"name", "host", "username"} - set(entry)
        if unknown or missing:
            problem = f"unknown keys {sorted(unknown)}" if unknown else f"needs {sorted(missing)}"
            raise ConfigurationError(f"{where}: {problem}")
        security = str(entry.get("security", "ssl"))
        if security not in SECURITY_PORTS:
            raise ConfigurationError(f"{where}: security must be ssl, starttls or none")
        values: dict[str, Any] = {**entry, "port": int(entry.get("port", SECURITY_PORTS[security]))}
        config = MailboxConfig(**values)
        if not (
            config.password
            or config.password_file
            or config.oauth2_token
            or config.oauth2_token_file
        ):
            raise ConfigurationError(f"{where}: needs a password or an oauth2 token")
        configs.append(config)
    if len({c.name for c in configs}) != len(configs):
        raise ConfigurationError("TIERDESK_IMAP_MAILBOXES: mailbox names must be unique")
    return configs


def mailboxes_from_env() -> list[MailboxConfig]:
    text = env_str("TIERDESK_IMAP_MAILBOXES")
    return parse_mailboxes(text) if text else []


@contextmanager
def connect(config: MailboxConfig) -> Iterator[BaseMailBox]:
    box: BaseMailBox
    if config.security == "ssl":
        box = MailBox(
            config.host,
            config.port,
            timeout=config.timeout,
            ssl_context=ssl.create_default_context(),
        )
    elif config.security == "starttls":
        box = MailBoxStartTls(
            config.host,
            config.port,
            timeout=config.timeout,
            ssl_context=ssl.create_default_context(),
        )
    else:
        box = MailBoxUnencrypted(config.host, config.port, timeout=config.timeout)
    kind, secret = config.secret()
    if kind == "oauth2":
        box.xoauth2(config.username, secret, initial_folder=None)
    else:
        box.login(config.username, secret, initial_folder=None)
    try:
        yield box
    finally:
        try:
            box.logout()
        except Exception:  # the server may already have gone; nothing to keep
            log.debug("imap %s: logout failed", config.name, exc_info=True)


def fetch_raw(box: BaseMailBox, uid: int) -> bytes | None:
    """The message's exact bytes (BODY.PEEK[] leaves \\Seen alone); None if expunged."""
    status, data = box.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        raise OSError(f"FETCH {uid} failed: {data!r}")
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def acknowledge(box: BaseMailBox, config: MailboxConfig, uid: int) -> None:
    """Mark one committed message on the server: moved, or seen."""
    if config.move_to:
        box.move(str(uid), config.move_to)
    else:
        box.flag(str(uid), MailMessageFlags.SEEN, True)


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    acknowledged: int = 0


def poll_mailbox(config: MailboxConfig, *, inline: bool = False) -> PollResult:
    """One pass over one mailbox. ``inline`` processes each message here instead of
    queueing it for the task worker."""
    result = PollResult()
    close_old_connections()
    with connect(config) as box:
        box.folder.set(config.folder)
        uidvalidity = int(box.folder.status(config.folder, ["UIDVALIDITY"])["UIDVALIDITY"])
        state, _ = MailboxState.objects.get_or_create(name=config.name)
        if state.uidvalidity != uidvalidity:
            if state.uidvalidity:
                log.warning(
                    "imap %s: UIDVALIDITY changed; rescanning (duplicates are skipped)", config.name
                )
            state.uidvalidity, state.last_uid = uidvalidity, 0
            state.save(update_fields=["uidvalidity", "last_uid"])
        result.acknowledged += _finish_pending(box, config, uidvalidity)
        found = box.uids(f"UID {state.last_uid + 1}:*")
        for uid in sorted(int(u) for u in found if int(u) > state.last_uid):
            raw = fetch_raw(box, uid)
            if raw is not None:
                result.fetched += 1
                stored = store(
                    raw,
                    Source(
                        mailbox=config.key,
                        channel="imap",
                        default_address=config.address,
                        source_ref=f"{uidvalidity}:{uid}",
                        acked=False,
                    ),
                    enqueue=not inline,
                )
                result.duplicates += stored.duplicate
                result.stored += not stored.duplicate
                if inline and not stored.duplicate:
                    process(stored.pk)
            MailboxState.objects.filter(pk=state.pk, last_uid__lt=uid).update(last_uid=uid)
            state.last_uid = uid
            if raw is not None:
                acknowledge(box, config, uid)
                InboundMessage.objects.filter(
                    mailbox=config.key, source_ref=f"{uidvalidity}:{uid}"
                ).update(source_acked=True)
                result.acknowledged += 1
    MailboxState.objects.filter(name=config.name).update(
        last_polled_at=timezone.now(), last_error=""
    )
    return result


def _finish_pending(box: BaseMailBox, config: MailboxConfig, uidvalidity: int) -> int:
    """Mark on the server what a crashed pass committed but did not get to mark."""
    done = 0
    pending = InboundMessage.objects.filter(mailbox=config.key, source_acked=False)
    for pk, ref in pending.values_list("pk", "source_ref"):
        validity, _, uid = ref.partition(":")
        if validity == str(uidvalidity) and uid.isdigit():
            acknowledge(box, config, int(uid))
            done += 1
        InboundMessage.objects.filter(pk=pk).update(source_acked=True)
    return done


def poll_all(configs: list[MailboxConfig], *, inline: bool = False) -> dict[str, PollResult]:
    """One pass over every mailbox; a failing mailbox is logged and does not stop the rest."""
    results = {}
    for config in configs:
        try:
            results[config.name] = poll_mailbox(config, inline=inline)
        except Exception as exc:
            log.exception("imap %s: poll failed", config.name)
            close_old_connections()
            MailboxState.objects.update_or_create(
                name=config.name, defaults={"last_error": f"{type(exc).__name__}: {exc}"[:2000]}
            )
    return results
