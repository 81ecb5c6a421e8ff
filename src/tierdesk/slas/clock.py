"""SLA and OLA clocks over a ticket's policy snapshot.

A clock is ``{"anchor": iso-time or None, "consumed": business seconds}``: ``anchor`` is when
it last started running (None while paused) and ``consumed`` the business time used before
that. Every due time is "the instant this clock will have consumed N seconds", so pausing,
resuming and re-prioritising all reduce to recomputing due times from the snapshot.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from tierdesk.org import config
from tierdesk.scheduler.models import TimerKind
from tierdesk.scheduler.timers import TimerSpec
from tierdesk.slas.calendar import BusinessCalendar, add_business_seconds, business_seconds_between
from tierdesk.slas.defaults import DEFAULT_HIERARCHY, DEFAULT_OLA_MINUTES, DEFAULT_TARGETS

SLA_TIMER_KINDS = (
    TimerKind.FIRST_RESPONSE,
    TimerKind.RESOLUTION_WARNING,
    TimerKind.RESOLUTION,
    TimerKind.HIERARCHY,
)


def _calendar(spec: dict[str, Any] | None) -> BusinessCalendar:
    if not spec:
        return _ALWAYS_OPEN
    # A desk has a handful of calendars: comparing the spec with each is cheaper than the
    # sorted JSON that keys the parse cache (every due time asks; that JSON was a sixtieth
    # of a mail import). Specs are stored as the org file's validation normalised them, so
    # Python's equality is JSON's here (no 1 to stand for true). A thread that scans while
    # another replaces an entry may miss it, and then parses through the cache below.
    for known, calendar in _KNOWN:
        if known == spec:
            return calendar
    calendar = _parsed(json.dumps(spec, sort_keys=True))
    if len(_KNOWN) >= KNOWN_CALENDARS:
        del _KNOWN[0]  # the longest remembered: old snapshots' specs give way to new ones
    _KNOWN.append((copy.deepcopy(spec), calendar))
    return calendar


KNOWN_CALENDARS = 16
_KNOWN: list[tuple[dict[str, Any], BusinessCalendar]] = []


def forget_calendars() -> None:
    """Forget every parsed calendar, as a process that has just started knows none."""
    _KNOWN.clear()
    _parsed.cache_clear()


_ALWAYS_OPEN = BusinessCalendar.twenty_four_seven()


@lru_cache(maxsize=256)
def _parsed(spec_json: str) -> BusinessCalendar:
    """Calendars are immutable values: parse each distinct spec once per process."""
    return BusinessCalendar.from_spec(json.loads(spec_json))


def preload_calendars(specs: Iterable[dict[str, Any] | None]) -> None:
    """Parse these calendars now rather than on first use (each is parsed once per
    process): the first calendar with public holidays loads the holiday tables, about a
    tenth of a second, which a scheduler worker should not spend holding tickets."""
    for spec in specs:
        _calendar(spec)


def new_clock(now: datetime) -> dict[str, Any]:
    return {"anchor": now.isoformat(), "consumed": 0}


def consumed(clock: dict[str, Any], calendar_spec: dict[str, Any] | None, now: datetime) -> int:
    used = int(clock["consumed"])
    if clock["anchor"] is not None:
        used += business_seconds_between(
            _calendar(calendar_spec), datetime.fromisoformat(clock["anchor"]), now
        )
    return used


def due_after(
    clock: dict[str, Any], calendar_spec: dict[str, Any] | None, seconds: int
) -> datetime | None:
    """When the running clock reaches ``seconds`` of use; None while it is paused."""
    if clock["anchor"] is None:
        return None
    anchor = datetime.fromisoformat(clock["anchor"])
    remaining = max(0, seconds - int(clock["consumed"]))
    return add_business_seconds(_calendar(calendar_spec), anchor, remaining)


def pause(clock: dict[str, Any], calendar_spec: dict[str, Any] | None, now: datetime) -> None:
    if clock["anchor"] is not None:
        clock["consumed"] = consumed(clock, calendar_spec, now)
        clock["anchor"] = None


def resume(clock: dict[str, Any], now: datetime) -> None:
    if clock["anchor"] is None:
        clock["anchor"] = now.isoformat()


def sla_policy_snapshot(
    priority: str,
    ticket_type: str,
    organisation_id: int | None,
    service_calendar: dict[str, Any] | None,
) -> dict[str, Any]:
    """The customer SLA for a ticket, most specific policy first; defaults if none match."""
    desk = config.current()
    candidates = [
        p
        for p in desk.sla_policies
        if p.priority == priority
        and p.ticket_type in ("", ticket_type)
        and p.requester_organisation_id in (None, organisation_id)
    ]
    best = max(
        candidates,
        key=lambda p: (p.requester_organisation_id is not None, p.ticket_type != "", -p.pk),
        default=None,
    )
    hierarchy = desk.hierarchy.get(priority)
    if best is None:
        first, resolution = DEFAULT_TARGETS[priority]
        calendar = None if priority == "P1" else service_calendar
        name, warning = f"default {priority}", 75
    else:
        first, resolution = best.first_response_minutes, best.resolution_minutes
        calendar = best.calendar.spec if best.calendar else None
        name, warning = best.name, best.warning_percent
    return {
        "policy": name,
        "priority": priority,
        "first_response_seconds": first * 60,
        "resolution_seconds": resolution * 60,
        "warning_percent": warning,
        "calendar": calendar,
        "hierarchy": hierarchy.steps if hierarchy else DEFAULT_HIERARCHY[priority],
    }


def ola_budget(team_id: int, tier: int | None, priority: str) -> tuple[int, bool]:
    """(budget seconds, auto-escalate): the team's own row, else the tier's, else the default."""
    rows = [
        row
        for row in config.current().ola_policies
        if row.priority == priority
        and (row.team_id == team_id or (row.team_id is None and row.tier == tier))
    ]
    rows.sort(key=lambda row: row.team_id is None)
    if rows:
        return rows[0].budget_minutes * 60, rows[0].auto_escalate
    return DEFAULT_OLA_MINUTES[priority] * 60, False


def sla_timers(snapshot: dict[str, Any], responded: bool) -> list[TimerSpec]:
    """The SLA timers still to fire for this snapshot (those in ``fired`` never fire again)."""
    clock, calendar = snapshot["clock"], snapshot["calendar"]
    resolution = int(snapshot["resolution_seconds"])
    fired = set(snapshot.get("fired", ()))
    specs = []
    if not responded and TimerKind.FIRST_RESPONSE not in fired:
        due = due_after(clock, calendar, int(snapshot["first_response_seconds"]))
        if due:
            specs.append(TimerSpec(TimerKind.FIRST_RESPONSE, due))
    warning_due = due_after(clock, calendar, resolution * int(snapshot["warning_percent"]) // 100)
    resolution_due = due_after(clock, calendar, resolution)
    if warning_due and TimerKind.RESOLUTION_WARNING not in fired:
        specs.append(TimerSpec(TimerKind.RESOLUTION_WARNING, warning_due))
    if resolution_due and TimerKind.RESOLUTION not in fired:
        specs.append(TimerSpec(TimerKind.RESOLUTION, resolution_due))
    specs.extend(hierarchy_timer(snapshot))
    return specs


def hierarchy_timer(snapshot: dict[str, Any]) -> list[TimerSpec]:
    """The next hierarchical-escalation step still to come, if any."""
    steps, step = snapshot["hierarchy"], int(snapshot.get("next_step", 0))
    if step >= len(steps):
        return []
    seconds = int(snapshot["resolution_seconds"]) * int(steps[step]["at_percent"]) // 100
    due = due_after(snapshot["clock"], snapshot["calendar"], seconds)
    return [TimerSpec(TimerKind.HIERARCHY, due, step)] if due else []


def ola_timer(snapshot: dict[str, Any]) -> list[TimerSpec]:
    ola = snapshot.get("ola")
    if not ola or ola.get("fired"):
        return []
    due = due_after(ola["clock"], snapshot["calendar"], int(ola["budget_seconds"]))
    return [TimerSpec(TimerKind.OLA, due)] if due else []
