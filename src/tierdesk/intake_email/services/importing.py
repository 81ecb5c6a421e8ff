"""Bulk import (an mbox, a Maildir): each message stored and acted on in one transaction.

Channels that must acknowledge a message (SMTP, IMAP) commit its raw bytes first and process
them afterwards. An import has nobody to acknowledge: the file still holds every message, so
a message can be stored and become its ticket, reply or event in a single transaction. When
the process dies, a message is either fully landed or not stored at all, and importing the
file again (same mailbox) takes exactly the ones not yet landed. That saves a commit, a
re-read and a lock per message. A message that cannot be acted on is still stored and
quarantined, as on every channel.

Messages land in a shared transaction that commits every ``COMMIT_SECONDS`` (with no
savepoint per message: one that fails has its batch landed again with a savepoint each, see
``Batches``): one commit, an fsync on PostgreSQL, for many messages, while row locks
and SQLite's write lock are held for at most about that long, waiting for the parser only
within that time. What a batch owes people is delivered by one task queued with its commit.
Duplicates are looked up for a chunk of messages in one query, and the worker
process parses the next message while this one writes the previous one.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from tierdesk.core import savepoints
from tierdesk.core.errors import DomainError
from tierdesk.core.rows import build, update_one
from tierdesk.intake_email import conf
from tierdesk.intake_email.models import InboundMessage, InboundStatus, QuarantineReason
from tierdesk.intake_email.parsing import ParsedMessage
from tierdesk.intake_email.services import ingest, storage
from tierdesk.intake_email.services.apply import apply
from tierdesk.intake_email.services.messagerow import AlreadyStored, insert_row
from tierdesk.intake_email.services.parsepool import ParseResult, ParseWorker, get_pool
from tierdesk.intake_email.services.quarantine import Quarantine, quarantine, quarantine_oversize
from tierdesk.notifications import services as notifications
from tierdesk.org import policies
from tierdesk.org import selectors as org_selectors

log = logging.getLogger(__name__)
CHUNK_MESSAGES = 200
CHUNK_BYTES = 16 * 1024 * 1024  # a chunk of big messages stays small in memory
COMMIT_SECONDS = 0.1
COMMIT_MESSAGES = 50
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Incoming:
    raw: bytes
    content_hash: str


@dataclass(frozen=True)
class Failure:
    reason: str
    detail: str


def import_messages(
    raws: Iterable[bytes],
    source: ingest.Source,
    *,
    progress: Callable[[str], None] | None = None,
) -> Counter[str]:
    """Import messages one after another, in bounded memory (a chunk of messages, and the
    parse results of the batch being landed); returns outcome counts."""
    counts: Counter[str] = Counter()
    options = ingest.parse_options()
    timeout = conf.parse_timeout()
    limit = conf.max_message_bytes()

    def done(outcome: str) -> None:
        counts[outcome] += 1
        if progress:
            progress(outcome)

    with (
        get_pool().worker() as worker,
        Batches(COMMIT_SECONDS, COMMIT_MESSAGES, CHUNK_BYTES, done) as batches,
    ):
        inflight: Incoming | None = None  # handed to the worker, not yet landed
        for chunk in _chunks(raws):
            known = _already_stored(source.mailbox, chunk)
            for incoming in chunk:
                if incoming.content_hash in known or (
                    inflight is not None and inflight.content_hash == incoming.content_hash
                ):
                    # Counted in the import's outcome; one line each would flood the log.
                    log.debug("mail: duplicate in %s dropped", source.mailbox)
                    done(DUPLICATE)
                    continue
                known.add(incoming.content_hash)
                if len(incoming.raw) > limit:
                    batches.commit()  # its notice goes out on its own
                    done(_land_oversize(incoming, source))
                    continue
                previous = _collect(worker, inflight, timeout, batches)
                worker.begin(incoming.raw, options)
                inflight = incoming
                if previous is not None:
                    batches.land(previous[0], source, previous[1])
        last = _collect(worker, inflight, timeout, batches)
        if last is not None:
            batches.land(last[0], source, last[1])
    return counts


def _chunks(raws: Iterable[bytes]) -> Iterator[list[Incoming]]:
    chunk: list[Incoming] = []
    size = 0
    for raw in raws:
        chunk.append(Incoming(raw, hashlib.sha256(raw).hexdigest()))
        size += len(raw)
        if len(chunk) >= CHUNK_MESSAGES or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _already_stored(mailbox: str, chunk: list[Incoming]) -> set[str]:
    hashes = {incoming.content_hash for incoming in chunk}
    stored = InboundMessage.objects.filter(mailbox=mailbox, content_hash__in=hashes)
    return set(stored.values_list("content_hash", flat=True))


def _collect(
    worker: ParseWorker, inflight: Incoming | None, timeout: float, batches: Batches
) -> tuple[Incoming, ParseResult] | None:
    if inflight is None:
        return None
    # The batch's locks are held while the next message parses only within the time the
    # batch may take anyway: committing whenever the parser was a moment behind made
    # batches of 13 messages on average where 30 fit in the time.
    if not worker.ready(wait=batches.time_left()):
        batches.commit()  # no locks held while a slow message parses
    return inflight, worker.finish(timeout)


class Batches:
    """Landing messages in shared transactions, each committed after ``seconds``, ``size``
    messages or ``max_bytes`` of them; leaving the block commits the last one (rolls it back
    on error). Each outcome goes to ``done`` when its batch commits.

    A batch runs without savepoints (see :mod:`tierdesk.core.savepoints`): they were five
    of the eighteen statements a message of the benchmark's mix took. When a message
    fails, nothing can take back its writes alone, so the whole batch is rolled back and
    its messages landed again, in a batch with a savepoint each, where the failing one is
    quarantined as on every channel and the others land as they did. After that the next
    batches keep their savepoints too, twice as many after each batch spoiled (up to
    ``MAX_CAREFUL``) and half as many after each that was not: an archive where failures
    are common lands at the cost of savepoints, not of landing its batches twice.
    """

    MAX_CAREFUL = 64

    def __init__(
        self, seconds: float, size: int, max_bytes: int, done: Callable[[str], None]
    ) -> None:
        self.seconds = seconds
        self.size = size
        self.max_bytes = max_bytes
        self.done = done
        self._open: ExitStack | None = None
        self._opened = 0.0
        self._bytes = 0
        self._landed: list[tuple[Incoming, ingest.Source, ParseResult, Landed]] = []
        self._careful = 0  # batches to run with savepoints after a batch spoiled
        self._careful_left = 0
        self._with_savepoints = False

    def land(self, incoming: Incoming, source: ingest.Source, result: ParseResult) -> None:
        if self._open is None:
            self._begin(with_savepoints=self._careful_left > 0)
            self._careful_left = max(0, self._careful_left - 1)
        try:
            landed: Landed | None = land(incoming, source, result)
        except (OperationalError, InterfaceError):
            raise  # the database is away: the batch rolls back; import again
        except Exception:
            if not savepoints.spoiled():
                raise
            landed = None
        if landed is not None:
            self._landed.append((incoming, source, result, landed))
            self._bytes += len(incoming.raw)
        if landed is None or savepoints.spoiled():
            batch = [(i, s, r) for i, s, r, _ in self._landed]
            if landed is None:
                batch.append((incoming, source, result))
            self._land_again_apart(batch)
        if (
            len(self._landed) >= self.size
            or self._bytes >= self.max_bytes
            or time.monotonic() - self._opened >= self.seconds
        ):
            self.commit()

    def time_left(self) -> float:
        """Seconds until the open batch is due to commit; 0 when none is open."""
        if self._open is None:
            return 0.0
        return max(0.0, self.seconds - (time.monotonic() - self._opened))

    def commit(self) -> None:
        if self._open is None:
            return
        savepoints.ensure_intact()
        committing, self._landed = self._landed, []
        # A COMMIT that fails may still have committed: its files stay.
        self._close(None, None, None)
        if not self._with_savepoints:
            self._careful //= 2
        for *_, landed in committing:
            self.done(landed.outcome)

    def _begin(self, *, with_savepoints: bool) -> None:
        self._with_savepoints = with_savepoints
        with ExitStack() as stack:
            # One read of the desk policies per batch, as per request or scheduler tick:
            # the messages of one transaction see one configuration.
            stack.enter_context(policies.pinned())
            stack.enter_context(transaction.atomic())
            if not self._with_savepoints:
                stack.enter_context(savepoints.left_out())
            # Queued in the transaction when it commits; gone with it when it rolls back.
            stack.enter_context(notifications.one_delivery_task())
            # The teams new tickets go to, read once per batch as by a scheduler batch:
            # reading the receiving team's members was a twelfth of opening a ticket.
            stack.enter_context(org_selectors.team_members_read_once())
            self._open = stack.pop_all()
        self._opened, self._bytes = time.monotonic(), 0

    def _land_again_apart(self, batch: list[tuple[Incoming, ingest.Source, ParseResult]]) -> None:
        """Roll the spoiled batch back and land its messages again, each in a savepoint; the
        batch stays open, with savepoints, for the messages after them."""
        log.info(
            "mail import: a message failed in a batch of %s without savepoints;"
            " landing them again with savepoints",
            len(batch),
        )
        opened = self._opened
        self._rollback(savepoints.Spoiled, savepoints.Spoiled(), None)
        self._careful = min(max(1, 2 * self._careful), self.MAX_CAREFUL)
        self._careful_left = self._careful
        self._begin(with_savepoints=True)
        self._opened = opened
        for incoming, source, result in batch:
            self._landed.append((incoming, source, result, land(incoming, source, result)))
            self._bytes += len(incoming.raw)
        savepoints.ensure_intact()

    def _rollback(
        self,
        kind: type[BaseException],
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll the open batch back, and remove the files its messages' rows named."""
        rolled_back, self._landed = self._landed, []
        self._close(kind, value, traceback)
        for *_, landed in rolled_back:
            for path in landed.files:
                path.unlink(missing_ok=True)

    def __enter__(self) -> Batches:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self._rollback(kind, value, traceback)

    def _close(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        stack, self._open = self._open, None
        if stack is not None:
            stack.__exit__(kind, value, traceback)


@dataclass(frozen=True)
class Landed:
    outcome: str
    # Files written for the message's rows (its bytes when too big for the row, a
    # quarantined message's copy): removed when its batch rolls back.
    files: tuple[Path, ...] = ()


def land(incoming: Incoming, source: ingest.Source, result: ParseResult) -> Landed:
    """Store one parsed message and act on it in one transaction (a savepoint in a batch
    that has them); its outcome is its status, ``duplicate`` when another process stored
    the same bytes first.

    The message's row is inserted once, with its outcome, after the commands ran (earlier
    only when an attachment or an event has to name it): the same transaction either lands
    all of it or nothing. Bytes another importer stored first break the row's unique
    constraint at that insert, which rolls the whole message back (its whole batch, in a
    batch without savepoints).

    In a batch without savepoints a failure cannot be undone here: it raises
    :class:`~tierdesk.core.savepoints.Spoiled`, and the batch lands its messages again with
    savepoints.
    """
    if result.parsed is None:
        reason = ingest.FAILURE_REASONS.get(result.failure or "", QuarantineReason.PROCESSING_ERROR)
        return _store_quarantined(incoming, source, Failure(reason, result.detail))
    path = ""
    try:
        with transaction.atomic():
            message = _unstored(incoming, source, result.parsed)
            path = message.raw_path
            apply(message, incoming.raw, result.parsed)
            message.processed_at = timezone.now()
            if message.pk is None:
                insert_row(message)
            else:
                update_one(message, ingest.RESULT_FIELDS)
            return Landed(str(message.status), _raw_file(path))
    except AlreadyStored as exc:
        storage.discard_raw(path)
        savepoints.ensure_intact()
        if _already_stored(source.mailbox, [incoming]):
            return Landed(DUPLICATE)  # another importer stored these bytes a moment ago
        raise exc.__cause__ or exc from None
    except (OperationalError, InterfaceError):
        storage.discard_raw(path)
        raise  # the database is away: nothing of this message is stored; import again
    except Exception as exc:
        storage.discard_raw(path)
        savepoints.ensure_intact()
        failure = _failure(exc)
    except BaseException:
        storage.discard_raw(path)
        raise
    return _store_quarantined(incoming, source, failure)


def _unstored(incoming: Incoming, source: ingest.Source, parsed: ParsedMessage) -> InboundMessage:
    """The message's row as an import first writes it, not inserted yet."""
    raw = incoming.raw
    inline, path = storage.save_raw(raw)
    return build(
        InboundMessage,
        **ingest.source_columns(source),
        message_id=(parsed.message_id or "")[:1000],
        content_hash=incoming.content_hash,
        size=len(raw),
        raw=inline,
        raw_path=path,
        from_address=(parsed.from_address or "").lower()[:320],
        subject=parsed.subject[:500],
        received_at=timezone.now(),
        attempts=1,
    )


def _failure(exc: Exception) -> Failure:
    """The quarantine reason for an exception out of ``apply``, as ``ingest.finish`` gives."""
    if isinstance(exc, Quarantine):
        return Failure(exc.reason, exc.detail)
    if not isinstance(exc, DomainError):
        log.error("mail import: processing failed", exc_info=exc)
    return Failure(QuarantineReason.PROCESSING_ERROR, f"{type(exc).__name__}: {exc}")


def _raw_file(path: str) -> tuple[Path, ...]:
    return (storage.raw_dir() / path,) if path else ()


def _store_quarantined(incoming: Incoming, source: ingest.Source, failure: Failure) -> Landed:
    stored = ingest.store(incoming.raw, source, enqueue=False)
    if stored.duplicate:
        return Landed(DUPLICATE)
    quarantine(stored.pk, failure.reason, failure.detail, incoming.raw)
    copy = storage.quarantine_copy_path(stored.pk)
    return Landed(InboundStatus.QUARANTINED, (*_raw_file(stored.raw_path), copy))


def _land_oversize(incoming: Incoming, source: ingest.Source) -> str:
    stored = ingest.store(incoming.raw, source, enqueue=False)
    if stored.duplicate:
        return DUPLICATE
    quarantine_oversize(stored.pk, incoming.raw)
    return InboundStatus.QUARANTINED
