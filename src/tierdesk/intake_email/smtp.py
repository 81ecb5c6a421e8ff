"""The inbound SMTP (or LMTP) server for the desk's addresses, on aiosmtpd.

Answers, in the order a sending server meets them:

* ``RCPT``: ``250`` for a desk address, ``550`` for any other, ``451`` when the address list
  cannot be read (database away) so the sender tries again later.
* ``MAIL … SIZE=`` over the limit and ``DATA`` over the limit: ``552`` (aiosmtpd's own check;
  the limit is advertised in EHLO).
* ``DATA``: ``250`` only once the raw bytes are committed; ``451`` when storing failed, so
  the sender keeps the message and retries. Processing (parse, thread, ticket) happens
  after the commit, in the task worker.

It takes mail the way Postfix and Exim do: lines longer than 1,000 bytes and bare LF line
ends inside the body (aiosmtpd refuses both by default).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections

from tierdesk.intake_email import conf
from tierdesk.intake_email.selectors import desk_addresses
from tierdesk.intake_email.services.ingest import Source, Stored, store

log = logging.getLogger(__name__)
MAILBOX = "smtp"
TEMPORARY = "451 4.3.0 Temporary local problem, please try again later"
# A line that follows a bare LF was dot-stuffed by the client like any other line (smtplib
# and MTAs treat LF as a line end); aiosmtpd only un-stuffs after CRLF.
_BARE_LF_DOT_RE = re.compile(rb"(?<!\r)\n\.")


def unstuff_bare_lf(data: bytes) -> bytes:
    return _BARE_LF_DOT_RE.sub(b"\n", data) if b"\n." in data else data


def _served(address: str) -> bool:
    close_old_connections()
    try:
        return address.strip().lower() in desk_addresses()
    finally:
        close_old_connections()


def _store(raw: bytes, source: Source) -> Stored:
    close_old_connections()
    try:
        return store(raw, source)
    finally:
        close_old_connections()


class DeskHandler:
    """aiosmtpd handler: database work runs on a small thread pool, never on the loop."""

    def __init__(self, *, lmtp: bool = False, threads: int = 4) -> None:
        self.lmtp = lmtp
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="smtp-db")

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        loop = asyncio.get_running_loop()
        try:
            served = await loop.run_in_executor(self.executor, _served, address)
        except Exception:
            log.exception("smtp: cannot read the desk addresses")
            return TEMPORARY
        if not served:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = unstuff_bare_lf(bytes(envelope.original_content or b""))
        source = Source(
            mailbox=MAILBOX,
            channel="smtp",
            envelope_from=envelope.mail_from or "",
            envelope_to=tuple(envelope.rcpt_tos),
        )
        loop = asyncio.get_running_loop()
        try:
            stored = await loop.run_in_executor(self.executor, _store, raw, source)
        except Exception:
            log.exception("smtp: storing a message from %s failed", envelope.mail_from)
            return self._each(envelope, TEMPORARY)
        verb = "already have it as" if stored.duplicate else "queued as"
        return self._each(envelope, f"250 2.0.0 OK: {verb} {stored.pk}")

    async def handle_exception(self, error: Exception) -> str:
        """Anything unexpected in a session: log it, tell the client to try again later
        (a 4xx keeps the message with the sender), and never echo internals back."""
        log.error("smtp: session error: %s", error, exc_info=error)
        return TEMPORARY

    def _each(self, envelope: Envelope, status: str) -> str:
        """LMTP answers DATA once per recipient; SMTP once."""
        if not self.lmtp:
            return status
        return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class _DeskSMTP(SMTP):
    def __init__(self, handler: Any, *, max_bytes: int, **kwargs: Any) -> None:
        # aiosmtpd sizes its read buffer from this: a body with bare LF arrives as one
        # "line", so the limit must cover a whole message, and go well past it so that an
        # oversize one-line message is answered 552 (too much data), not 500 (line too long).
        self.line_length_limit = 2 * max_bytes + 1024
        super().__init__(handler, data_size_limit=max_bytes, **kwargs)


class _DeskLMTP(LMTP):
    def __init__(self, handler: Any, *, max_bytes: int, **kwargs: Any) -> None:
        self.line_length_limit = 2 * max_bytes + 1024
        super().__init__(handler, data_size_limit=max_bytes, **kwargs)


class DeskController(Controller):
    """A threaded aiosmtpd controller serving :class:`DeskHandler`."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        lmtp: bool = False,
        max_bytes: int | None = None,
        server_hostname: str | None = None,
    ) -> None:
        self.desk_handler = DeskHandler(lmtp=lmtp)
        self.lmtp = lmtp
        self.max_bytes = max_bytes or conf.max_message_bytes()
        name = server_hostname or conf.from_address().rpartition("@")[2] or "localhost"
        super().__init__(
            self.desk_handler,
            hostname=host,
            port=port,
            server_hostname=name,
            ident="tierdesk",
            enable_SMTPUTF8=True,
            decode_data=False,
        )

    def factory(self) -> SMTP:
        cls = _DeskLMTP if self.lmtp else _DeskSMTP
        return cls(self.handler, max_bytes=self.max_bytes, **self.SMTP_kwargs)

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert=no_assert)
        self.desk_handler.close()


def serve_forever(host: str, port: int, *, lmtp: bool, stop: threading.Event) -> None:
    """Run the server until ``stop`` is set; every minute, re-queue stored messages whose
    processing task was lost."""
    from tierdesk.intake_email.jobs import requeue_stuck

    controller = DeskController(host, port, lmtp=lmtp)
    controller.start()
    log.info("smtp: listening on %s:%s (%s)", host, port, "LMTP" if lmtp else "SMTP")
    try:
        while not stop.wait(60):
            try:
                close_old_connections()
                requeue_stuck()
            except Exception:
                log.exception("smtp: the stuck-message sweep failed; trying again later")
    finally:
        controller.stop()
