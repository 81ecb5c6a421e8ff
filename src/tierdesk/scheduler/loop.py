"""The scheduler: one loop, any number of copies on any number of hosts.

Each tick claims due timers with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's
IMMEDIATE transactions serialise writers instead), fires each in its own savepoint and
deletes it in the same transaction as its effect: a timer fires exactly once, and a worker
that dies mid-batch rolls back and leaves its timers for the next tick.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from tierdesk.escalations.jobs import hierarchy_step_due, ola_due
from tierdesk.org import policies
from tierdesk.scheduler.models import Timer, TimerKind
from tierdesk.slas.jobs import first_response_due, resolution_due, resolution_warning_due
from tierdesk.tickets.jobs import auto_close_due
from tierdesk.tickets.models import Ticket

log = logging.getLogger(__name__)

Handler = Callable[[Ticket, Timer, datetime], None]
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


def tick(now: datetime | None = None, batch: int | None = None) -> TickResult:
    """Fire up to ``batch`` due timers. Cheap when nothing is due: one index probe."""
    now = now or timezone.now()
    limit = batch or settings.SCHEDULER_BATCH
    result = TickResult()
    with policies.pinned(), transaction.atomic():
        due = _claim(now, limit)
        for timer in due:
            _fire(timer, now, result)
    return result


def _claim(now: datetime, limit: int) -> list[Timer]:
    """Lock the tickets of the earliest due timers (skipping any a command or another worker
    holds), then their timers.

    Tickets first, then timers, is the order every command uses too, and no timer row is
    ever locked by a worker that does not hold its ticket: so a worker re-arming its own
    ticket's timers (an automatic escalation) never waits on another worker's lock, and
    nobody can deadlock. A joined SKIP LOCKED claim could lock a timer row and then skip its
    ticket, keeping the row locked for nothing.
    """
    candidates = set(
        Timer.objects.filter(due_at__lte=now)
        .order_by("due_at")
        .values_list("ticket_id", flat=True)[:limit]
    )
    if not candidates:
        return []
    held = list(
        Ticket.objects.select_for_update(skip_locked=True)
        .filter(pk__in=candidates)
        .values_list("pk", flat=True)
    )
    return list(
        Timer.objects.select_for_update()
        .filter(ticket_id__in=held, due_at__lte=now)
        .order_by("due_at")
    )


def _fire(timer: Timer, now: datetime, result: TickResult) -> None:
    try:
        with transaction.atomic():
            # Delete first: a timer that an earlier firing in this batch re-armed (an
            # automatic escalation restarts the clocks) is gone and must not fire again.
            if not Timer.objects.filter(pk=timer.pk).delete()[0]:
                return
            ticket = Ticket.objects.select_related(
                "team__lead__manager", "assignee", "service__calendar"
            ).get(pk=timer.ticket_id)
            HANDLERS[timer.kind](ticket, timer, now)
        result.fired += 1
    except Exception as exc:
        # One bad timer must not stop the loop: log it, push it forward, carry on.
        log.exception("timer %s (%s on ticket %s) failed", timer.pk, timer.kind, timer.ticket_id)
        Timer.objects.filter(pk=timer.pk).update(
            due_at=now + RETRY_AFTER * min(2**timer.attempts, 60),
            attempts=F("attempts") + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        result.failed += 1


HOUSEKEEPING_SECONDS = 60


def housekeeping() -> None:
    """Recover side effects whose task was lost: notifications due a retry, stored mail
    never processed. Both are idempotent, so any number of workers may run them."""
    from tierdesk.intake_email.jobs import requeue_stuck
    from tierdesk.notifications.jobs import retry_due

    retry_due()
    requeue_stuck()


def run_forever(stop: threading.Event, interval: float | None = None) -> None:
    pause = interval or settings.SCHEDULER_INTERVAL_SECONDS
    limit = settings.SCHEDULER_BATCH
    log.info("scheduler running every %ss", pause)
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
        if result.fired + result.failed < limit:
            stop.wait(pause)
        else:
            time.sleep(0)  # a full batch: there is more due right now
