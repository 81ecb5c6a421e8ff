"""The scheduler: one loop, any number of copies on any number of hosts.

Each tick locks the tickets of the earliest due timers with ``SELECT … FOR UPDATE SKIP
LOCKED`` (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers instead), then their
due timers, and fires them as one batch: handlers change the tickets in memory, and the
batch deletes the fired timers and writes every effect in the same transaction (see
:mod:`tierdesk.scheduler.firing`). A timer fires exactly once, and a worker that dies
mid-batch rolls back and leaves its timers for the next tick.

What one bad timer does to a batch:

- a handler that raises is undone on its ticket (in memory) and its timer is pushed forward;
  the other timers, that ticket's included, fire as usual;
- a batch whose writes fail is rolled back to its savepoint and fired again ticket by
  ticket, then timer by timer, so only the timer that cannot be written is pushed forward;
- a handler that runs a command (automatic escalation, automatic close) runs it in the
  batch (see :meth:`Firing.command`), without a savepoint of its own in a batch of several
  tickets: a command that fails spoils the batch, which is rolled back and fired apart as
  above, where the command's savepoint undoes it like any failing handler. The ticket's later due
  timers wait until the batch is written and are then read afresh and fired as a batch of
  their own, so a timer the command re-armed or cleared is not fired twice.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from tierdesk.core import savepoints
from tierdesk.escalations.jobs import hierarchy_step_due, ola_due
from tierdesk.notifications import services as notifications
from tierdesk.org import policies, selectors
from tierdesk.org.models import BusinessCalendar
from tierdesk.routing import assignment
from tierdesk.scheduler.firing import Firing, Roles, write
from tierdesk.scheduler.loading import Related
from tierdesk.scheduler.models import Timer, TimerKind
from tierdesk.slas import clock
from tierdesk.slas.jobs import first_response_due, resolution_due, resolution_warning_due
from tierdesk.tickets import opencounts
from tierdesk.tickets.jobs import auto_close_due
from tierdesk.tickets.models import Ticket

log = logging.getLogger(__name__)


Handler = Callable[[Firing, Timer], None]
HANDLERS: dict[str, Handler] = {
    TimerKind.FIRST_RESPONSE: first_response_due,
    TimerKind.RESOLUTION_WARNING: resolution_warning_due,
    TimerKind.RESOLUTION: resolution_due,
    TimerKind.HIERARCHY: hierarchy_step_due,
    TimerKind.OLA: ola_due,
    TimerKind.AUTO_CLOSE: auto_close_due,
}
RETRY_AFTER = timedelta(minutes=1)


@dataclass
class TickResult:
    fired: int = 0
    failed: int = 0
    full: bool = False  # the claim hit the batch size: more may be due right now


def tick(now: datetime | None = None, batch: int | None = None) -> TickResult:
    """Fire the tickets of the earliest ``batch`` due timers, with all their due timers, as one
    batch. Cheap when nothing is due: one index probe."""
    now = now or timezone.now()
    limit = batch or settings.SCHEDULER_BATCH
    result = TickResult()
    with policies.pinned(), transaction.atomic():
        held, result.full = _claim(now, limit)
        if held:
            _fire_group(held, now, result, Roles(), Related())
    return result


def _claim(now: datetime, limit: int) -> tuple[list[int], bool]:
    """Lock the tickets of the earliest ``limit`` due timers, skipping any a command or another
    worker holds; True as well if the claim was full.

    Only ticket rows are locked here (``of=self``); their timers are locked afterwards by a
    worker that holds the ticket. Tickets first, then timers, is the order every command
    uses too, so nobody can deadlock, and no timer row is ever locked for nothing.
    """
    rows = list(
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(timers__due_at__lte=now)
        .order_by("timers__due_at")
        .values_list("pk", flat=True)[:limit]
    )
    return list(dict.fromkeys(rows)), len(rows) >= limit


@dataclass
class Batch:
    """What running the handlers of one batch decided, before anything is written."""

    firings: list[Firing] = field(default_factory=list)
    fired: list[Timer] = field(default_factory=list)
    failed: list[tuple[Timer, Exception]] = field(default_factory=list)
    again: list[int] = field(default_factory=list)  # tickets with timers left after a command


def _fire_group(
    ticket_ids: list[int], now: datetime, result: TickResult, roles: Roles, related: Related
) -> None:
    """Fire the due timers of these held tickets as one batch (see the module docstring)."""
    due: dict[int, list[Timer]] = {pk: [] for pk in ticket_ids}
    batch = Batch()
    try:
        # One savepoint for the handlers and the writes: the commands that handlers run write
        # some rows as they go, and a batch that cannot be written takes those back too.
        # The commands of a batch of several tickets open no savepoints of their own (two
        # statements each, and on PostgreSQL two round trips): one that fails spoils the
        # batch, which is then fired apart like a batch that cannot be written, ticket by
        # ticket, where its savepoint undoes it alone.
        # What the batch owes people goes out through one delivery task, queued with it,
        # and a team's open work and members are read once for all its escalations.
        with (
            transaction.atomic(),
            savepoints.left_out() if len(ticket_ids) > 1 else nullcontext(),
            notifications.one_delivery_task(),
            assignment.open_work_counted_once(),
            selectors.team_members_read_once(),
        ):
            tickets = related.held_tickets(ticket_ids)
            for timer in (
                Timer.objects.select_for_update()
                .filter(ticket_id__in=ticket_ids, due_at__lte=now)
                .order_by("due_at", "pk")
            ):
                due[timer.ticket_id].append(timer)
            for ticket_id, timers in due.items():
                if timers and ticket_id in tickets:
                    _run_handlers(Firing(tickets[ticket_id], now, roles=roles), timers, batch)
            _delete_fired(batch.fired)
            write(batch.firings)
            for timer, error in batch.failed:
                _push_forward(timer, now, error)
            savepoints.ensure_intact()
    except Exception:
        log.exception("a batch of %s timers could not be written; firing them apart", len(due))
        _fire_apart(ticket_ids, due, now, result, roles, related)
        return
    result.fired += len(batch.fired)
    result.failed += len(batch.failed)
    if batch.again:
        _fire_group(batch.again, now, result, roles, related)


def _run_handlers(firing: Firing, timers: list[Timer], batch: Batch) -> None:
    """One ticket's due timers in due order, each handler seeing what the earlier ones did.

    After a handler that ran a command, the ticket's later timers are left to a batch of
    their own: the command may have re-armed or cleared them.
    """
    batch.firings.append(firing)
    for index, timer in enumerate(timers):
        point = firing.checkpoint()
        try:
            HANDLERS[timer.kind](firing, timer)
        except Exception as exc:
            if firing.commanded or savepoints.spoiled():
                # The command's ticket is written, or a command failed halfway without a
                # savepoint of its own: only the batch's savepoint undoes it.
                raise
            firing.restore(point)
            log.exception(
                "timer %s (%s on ticket %s) failed", timer.pk, timer.kind, timer.ticket_id
            )
            batch.failed.append((timer, exc))
        else:
            batch.fired.append(timer)
            firing.fired_kinds.add(timer.kind)
        if firing.commanded:
            if index + 1 < len(timers):
                batch.again.append(firing.ticket.pk)
            return


def _fire_apart(
    ticket_ids: list[int],
    due: dict[int, list[Timer]],
    now: datetime,
    result: TickResult,
    roles: Roles,
    related: Related,
) -> None:
    """A batch that could not be written: each ticket as its own batch, then each timer alone."""
    if len(ticket_ids) > 1:
        for ticket_id in ticket_ids:
            _fire_group([ticket_id], now, result, roles, related)
        return
    for timer in due.get(ticket_ids[0], []):
        _fire_alone(timer, now, result, roles, related)


def _fire_alone(
    timer: Timer, now: datetime, result: TickResult, roles: Roles, related: Related
) -> None:
    try:
        with transaction.atomic():
            # Delete first: a timer that an earlier firing re-armed (an automatic escalation
            # restarts the clocks) is gone and must not fire again.
            if not Timer.objects.filter(pk=timer.pk).delete()[0]:
                return
            ticket = related.held_tickets([timer.ticket_id])[timer.ticket_id]
            firing = Firing(ticket, now, roles=roles, fired_kinds={timer.kind})
            HANDLERS[timer.kind](firing, timer)
            write([firing])
        result.fired += 1
    except Exception as exc:
        # One bad timer must not stop the loop: log it, push it forward, carry on.
        log.exception("timer %s (%s on ticket %s) failed", timer.pk, timer.kind, timer.ticket_id)
        _push_forward(timer, now, exc)
        result.failed += 1


def _delete_fired(timers: Iterable[Timer]) -> None:
    """Delete-then-fire: the rows go in the transaction that writes their effects."""
    pks = [timer.pk for timer in timers]
    if pks and Timer.objects.filter(pk__in=pks).delete()[0] != len(pks):
        raise RuntimeError("claimed timers changed while their tickets were held")


def _push_forward(timer: Timer, now: datetime, exc: Exception) -> None:
    Timer.objects.filter(pk=timer.pk).update(
        due_at=now + RETRY_AFTER * min(2**timer.attempts, 60),
        attempts=F("attempts") + 1,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
    )


def warm_up() -> None:
    """Load, before the first tick, what firing would otherwise load inside it while it holds
    its tickets: the business calendars (the holiday tables behind them) and the delivery
    task that every batch's alerts enqueue. A worker calls this once when it starts."""
    importlib.import_module("tierdesk.notifications.jobs")
    clock.preload_calendars(BusinessCalendar.objects.values_list("spec", flat=True))


HOUSEKEEPING_SECONDS = 60


def housekeeping() -> None:
    """Recover side effects whose task was lost (notifications due a retry, stored mail
    never processed) and fold the open-ticket counts' change rows. Each is idempotent, so
    any number of workers may run them."""
    from tierdesk.intake_email.jobs import requeue_stuck
    from tierdesk.notifications.jobs import retry_due

    for step in (retry_due, requeue_stuck, opencounts.fold):
        try:
            step()
        except Exception:
            log.exception("housekeeping: %s failed; the others ran", step.__name__)


def run_forever(stop: threading.Event, interval: float | None = None) -> None:
    pause = interval or settings.SCHEDULER_INTERVAL_SECONDS
    log.info("scheduler running every %ss", pause)
    try:
        warm_up()
    except Exception:
        log.exception("the scheduler could not warm up; its first tick loads what it needs")
    next_housekeeping = 0.0
    while not stop.is_set():
        close_old_connections()
        try:
            result = tick()
            if time.monotonic() >= next_housekeeping:
                housekeeping()
                next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
        except Exception:
            log.exception("scheduler tick failed")
            result = TickResult()
        if not result.full:
            stop.wait(pause)
        else:
            time.sleep(0)  # a full batch: there is more due right now
