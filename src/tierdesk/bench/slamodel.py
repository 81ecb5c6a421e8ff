"""SLA and OLA outcomes of a generated ticket, computed the way the live clocks would.

Policies come from the database through :mod:`tierdesk.slas.clock` (so generated snapshots
look exactly like those of ``create_ticket``) and are cached per worker; business-hour
arithmetic uses :mod:`tierdesk.slas.calendar` with one parsed calendar per spec.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tierdesk.bench.fastcal import Timeline
from tierdesk.scheduler.models import TimerKind
from tierdesk.slas import clock
from tierdesk.slas.calendar import BusinessCalendar
from tierdesk.slas.models import SlaPolicy

SYSTEM = "system"
DAY = 86_400
Event = tuple[int, int | None, str, str, str, Any, Any, str, dict[str, Any]]


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


class Clocks:
    """Cached policies and calendars for one generator worker.

    Business-hour arithmetic inside ``[start, end]`` goes through a :class:`Timeline` per
    calendar (bisection instead of a walk over days).
    """

    def __init__(self, start: int, end: int) -> None:
        self.window = (start - DAY, end + 120 * DAY)
        self._bases: dict[tuple[str, str, int | None, str], dict[str, Any]] = {}
        self._olas: dict[tuple[int, str], tuple[int, bool]] = {}
        self._timelines: dict[int, tuple[dict[str, Any], Timeline]] = {}
        self._by_spec: dict[str, Timeline] = {}
        policies = SlaPolicy.objects.values_list("requester_organisation_id", "ticket_type")
        self._specific_orgs = {org for org, _ in policies if org is not None}
        self._specific_types = {kind for _, kind in policies if kind}

    def base(
        self,
        priority: str,
        ticket_type: str,
        organisation: int | None,
        service_calendar: dict[str, Any] | None,
    ) -> dict[str, Any]:
        # Only organisations and types that some policy names can change the answer.
        organisation = organisation if organisation in self._specific_orgs else None
        kind = ticket_type if ticket_type in self._specific_types else ""
        key = (priority, kind, organisation, json.dumps(service_calendar, sort_keys=True))
        if key not in self._bases:
            self._bases[key] = clock.sla_policy_snapshot(
                priority, ticket_type, organisation, service_calendar
            )
        return self._bases[key]

    def ola(self, team_id: int, level: int | None, priority: str) -> tuple[int, bool]:
        key = (team_id, priority)
        if key not in self._olas:
            self._olas[key] = clock.ola_budget(team_id, level, priority)
        return self._olas[key]

    def _timeline(self, spec: dict[str, Any]) -> Timeline:
        # Specs come from the cached snapshots and services, so their identity is stable; the
        # spec is kept alongside so that its id cannot be reused by another object.
        found = self._timelines.get(id(spec))
        if found is None or found[0] is not spec:
            key = json.dumps(spec, sort_keys=True)
            if key not in self._by_spec:
                self._by_spec[key] = Timeline(BusinessCalendar.from_spec(spec), *self.window)
            found = (spec, self._by_spec[key])
            self._timelines[id(spec)] = found
        return found[1]

    def due(self, start: int, seconds: int, spec: dict[str, Any] | None) -> int:
        return start + seconds if spec is None else self._timeline(spec).add(start, seconds)

    def between(self, start: int, end: int, spec: dict[str, Any] | None) -> int:
        if spec is None:
            return max(0, end - start)
        return self._timeline(spec).between(start, end)


@dataclass
class Outcome:
    """What the clocks did to one ticket up to its horizon."""

    snapshot: dict[str, Any]
    first_response_due: int | None
    resolution_due: int | None
    ola_due: int | None
    first_response_breached: bool = False
    resolution_breached: bool = False
    ola_breached: bool = False
    events: list[Event] = field(default_factory=list)
    timers: list[tuple[str, int, int]] = field(default_factory=list)  # kind, due, step


@dataclass
class ClockInput:
    created: int
    horizon: int  # now for running clocks; the pause or resolution time otherwise
    running: bool
    responded: int | None
    stay_start: int
    team: tuple[int, str, int | None]  # id, slug, level
    recipients: dict[str, list[str]]  # relation -> usernames, for hierarchy events


def outcome(clocks: Clocks, base: dict[str, Any], priority: str, spec: ClockInput) -> Outcome:
    calendar = base["calendar"]
    created, horizon, running = spec.created, spec.horizon, spec.running
    first_s, resolution_s = int(base["first_response_seconds"]), int(base["resolution_seconds"])
    first_due = clocks.due(created, first_s, calendar)
    resolution_due = clocks.due(created, resolution_s, calendar)
    result = Outcome(dict(base), first_due, resolution_due, None)
    fired: list[str] = []

    def system(ts: int, kind: str, field_name: str = "", **data: Any) -> None:
        result.events.append((ts, None, SYSTEM, kind, field_name, None, None, "", data))

    if spec.responded is None or spec.responded > first_due:
        if first_due <= horizon:
            result.first_response_breached = True
            fired.append(TimerKind.FIRST_RESPONSE)
            system(first_due, "sla_breached", "first_response", due_at=iso(first_due))
        elif running and spec.responded is None:
            result.timers.append((TimerKind.FIRST_RESPONSE, first_due, 0))
    warning_s = resolution_s * int(base["warning_percent"]) // 100
    if running or horizon - created >= warning_s:
        warning_due = clocks.due(created, warning_s, calendar)
        if warning_due <= horizon:
            fired.append(TimerKind.RESOLUTION_WARNING)
            system(
                warning_due,
                "sla_warning",
                "resolution",
                due_at=iso(resolution_due),
                percent=base["warning_percent"],
            )
        elif running:
            result.timers.append((TimerKind.RESOLUTION_WARNING, warning_due, 0))
    if resolution_due <= horizon:
        result.resolution_breached = True
        fired.append(TimerKind.RESOLUTION)
        system(resolution_due, "sla_breached", "resolution", due_at=iso(resolution_due))
    elif running:
        result.timers.append((TimerKind.RESOLUTION, resolution_due, 0))
    next_step = 0
    for index, step in enumerate(base["hierarchy"]):
        seconds = resolution_s * int(step["at_percent"]) // 100
        if not running and horizon - created < seconds:
            break
        step_due = clocks.due(created, seconds, calendar)
        if step_due > horizon:
            if running:
                result.timers.append((TimerKind.HIERARCHY, step_due, index))
            break
        people = sorted({name for rel in step["notify"] for name in spec.recipients.get(rel, [])})
        system(
            step_due,
            "hierarchy_notified",
            step=index,
            at_percent=step["at_percent"],
            recipients=people,
        )
        next_step = index + 1

    team_id, slug, level = spec.team
    budget, auto_escalate = clocks.ola(team_id, level, priority)
    ola: dict[str, Any] = {"team": slug, "budget_seconds": budget, "auto_escalate": auto_escalate}
    if running:
        ola["clock"] = {"anchor": iso(spec.stay_start), "consumed": 0}
        result.ola_due = clocks.due(spec.stay_start, budget, calendar)
        if result.ola_due <= horizon:
            result.ola_breached = ola["fired"] = True
            system(result.ola_due, "ola_breached", team=slug, tier=level, budget_seconds=budget)
        else:
            result.timers.append((TimerKind.OLA, result.ola_due, 0))
    else:
        used = max(0, horizon - spec.stay_start)
        ola["clock"] = {"anchor": None, "consumed": used}
        result.ola_breached = used > budget
    result.snapshot["clock"] = (
        {"anchor": iso(created), "consumed": 0}
        if running
        else {"anchor": None, "consumed": clocks.between(created, horizon, calendar)}
    )
    result.snapshot["ola"] = ola
    if fired:
        result.snapshot["fired"] = sorted(fired)
    if next_step:
        result.snapshot["next_step"] = next_step
    return result
