"""How much of a ticket's SLA and OLA is left, for display.

The domain owns the clocks (``tierdesk.slas.clock``) and the breach flags; this module only
reads them to choose a colour *and* a text (colour is never the only signal): green while
less than the warning share is used, amber after it, red when overdue or breached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from tierdesk.slas import clock
from tierdesk.slas.calendar import CalendarError
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES

OLA_WARNING_PERCENT = 75


@dataclass(frozen=True)
class ClockView:
    label: str  # "SLA" or "OLA"
    state: str  # ok | warn | bad | none (CSS suffix)
    text: str  # what a screen reader and a colour-blind reader get
    due_at: datetime | None

    @property
    def css(self) -> str:
        return f"sla-{self.state}"

    @property
    def title(self) -> str:
        """ "SLA due 2026-11-27 17:00 CET" in the current time zone ('' without a due time):
        what ``|date:'Y-m-d H:i T'`` gives, formatted here because queue pages show a
        hundred of them and the template filter costs several times more."""
        if self.due_at is None:
            return ""
        return f"{self.label} due {local_minute_and_zone(self.due_at)}"


def local_minute_and_zone(moment: datetime) -> str:
    """``moment|date:'Y-m-d H:i T'`` without the filter's cost: the zone name is left out of
    a wall time that a DST change makes ambiguous or impossible, as Django's ``T`` does."""
    local = timezone.localtime(moment)
    zone = local.tzinfo
    assert zone is not None
    ambiguous = zone.utcoffset(local.replace(fold=not local.fold)) != zone.utcoffset(local)
    name = "" if ambiguous else str(zone.tzname(local))
    return f"{local:%Y-%m-%d %H:%M} {name}"


def duration(seconds: float) -> str:
    """A short human duration: 45 s, 12 min, 3 h 05 min, 2 d 4 h."""
    seconds = int(abs(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def age(since: datetime, now: datetime) -> str:
    """A coarse age for queue rows: 12 min, 5 h, 3 d."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def _used(state: dict[str, Any], calendar: dict[str, Any] | None, now: datetime) -> int | None:
    try:
        return clock.consumed(state, calendar, now)
    except (KeyError, TypeError, ValueError, CalendarError):
        return None


def _view(
    label: str,
    *,
    budget: int | None,
    used: int | None,
    due_at: datetime | None,
    breached: bool,
    running: bool,
    warning_percent: int,
    now: datetime,
) -> ClockView:
    if breached:
        late = f" by {duration((now - due_at).total_seconds())}" if due_at and running else ""
        return ClockView(label, "bad", f"breached{late}", due_at)
    if not running:
        return ClockView(label, "none", "stopped", due_at)
    if due_at is None:
        return ClockView(label, "none", "paused", None)
    if budget and used is not None:
        left = budget - used
        share_used = used * 100 / budget
    else:
        left = int((due_at - now).total_seconds())
        share_used = 0.0
    if left <= 0 or due_at <= now:
        return ClockView(
            label, "bad", f"overdue by {duration((now - due_at).total_seconds())}", due_at
        )
    state = "warn" if share_used >= warning_percent else "ok"
    return ClockView(label, state, f"{duration(left)} left", due_at)


def sla_clock(ticket: Ticket, now: datetime) -> ClockView:
    """The customer SLA's resolution clock."""
    snapshot = ticket.sla_snapshot or {}
    running = ticket.status in OPEN_STATUSES
    state = snapshot.get("clock")
    return _view(
        "SLA",
        budget=int(snapshot.get("resolution_seconds") or 0) or None,
        used=_used(state, snapshot.get("calendar"), now) if state and running else None,
        due_at=ticket.resolution_due_at,
        breached=ticket.resolution_breached,
        running=running,
        warning_percent=int(snapshot.get("warning_percent") or 75),
        now=now,
    )


def ola_clock(ticket: Ticket, now: datetime) -> ClockView:
    """The current tier's OLA clock (its budget restarts when the ticket changes team)."""
    snapshot = ticket.sla_snapshot or {}
    ola = snapshot.get("ola") or {}
    running = ticket.status in OPEN_STATUSES
    state = ola.get("clock")
    return _view(
        "OLA",
        budget=int(ola.get("budget_seconds") or 0) or None,
        used=_used(state, snapshot.get("calendar"), now) if state and running else None,
        due_at=ticket.ola_due_at,
        breached=ticket.ola_breached,
        running=running,
        warning_percent=OLA_WARNING_PERCENT,
        now=now,
    )
