"""Clock operations on a locked ticket: they update its snapshot, due-time columns and timers.

Callers save the ticket (``SLA_FIELDS``) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from tierdesk.org.models import Team
from tierdesk.scheduler.models import TimerKind
from tierdesk.scheduler.timers import TimerSpec, arm, disarm
from tierdesk.slas import clock
from tierdesk.tickets.models import Ticket

SLA_FIELDS = (
    "sla_snapshot",
    "first_response_due_at",
    "resolution_due_at",
    "ola_due_at",
    "sla_paused_at",
)
CLOCK_KINDS = (*clock.SLA_TIMER_KINDS, TimerKind.OLA)


def _apply(ticket: Ticket, specs: list[TimerSpec]) -> None:
    due = {spec.kind: spec.due_at for spec in specs}
    if ticket.first_responded_at is None:
        ticket.first_response_due_at = due.get(
            TimerKind.FIRST_RESPONSE, ticket.first_response_due_at
        )
    ticket.resolution_due_at = due.get(TimerKind.RESOLUTION, ticket.resolution_due_at)
    ticket.ola_due_at = due.get(TimerKind.OLA)
    arm(ticket.pk, specs, replace=CLOCK_KINDS)


def _recompute(ticket: Ticket) -> None:
    snapshot = ticket.sla_snapshot
    if snapshot["clock"]["anchor"] is None:
        return
    specs = clock.sla_timers(snapshot, responded=ticket.first_responded_at is not None)
    _apply(ticket, specs + clock.ola_timer(snapshot))


def pause(ticket: Ticket, now: datetime) -> None:
    """Stop the customer clock and the tier's budget (waiting on the customer, resolved)."""
    snapshot = ticket.sla_snapshot
    clock.pause(snapshot["clock"], snapshot["calendar"], now)
    if snapshot.get("ola"):
        clock.pause(snapshot["ola"]["clock"], snapshot["calendar"], now)
    ticket.sla_paused_at = now
    ticket.resolution_due_at = None
    ticket.ola_due_at = None
    if ticket.first_responded_at is None:
        ticket.first_response_due_at = None
    disarm(ticket.pk, CLOCK_KINDS)


def resume(ticket: Ticket, now: datetime) -> None:
    snapshot = ticket.sla_snapshot
    clock.resume(snapshot["clock"], now)
    if snapshot.get("ola"):
        clock.resume(snapshot["ola"]["clock"], now)
    ticket.sla_paused_at = None
    _recompute(ticket)


def stop(ticket: Ticket) -> None:
    disarm(ticket.pk, CLOCK_KINDS)
    ticket.ola_due_at = None


def enter_team(ticket: Ticket, team: Team, now: datetime) -> None:
    """A new tier gets its own full budget, not the leftovers of the previous one."""
    budget, auto_escalate = clock.ola_budget(team.pk, team.level, ticket.priority)
    running = ticket.sla_snapshot["clock"]["anchor"] is not None
    ola_clock = clock.new_clock(now)
    if not running:
        ola_clock["anchor"] = None
    ticket.sla_snapshot["ola"] = {
        "team": team.slug,
        "budget_seconds": budget,
        "auto_escalate": auto_escalate,
        "clock": ola_clock,
    }
    ticket.ola_breached = False
    _recompute(ticket)


def reprioritise(ticket: Ticket, now: datetime) -> None:
    """New priority, new targets, same clock: time already used still counts."""
    snapshot = ticket.sla_snapshot
    fresh = clock.sla_policy_snapshot(
        ticket.priority,
        ticket.type,
        ticket.requester_organisation_id,
        ticket.service.calendar.spec if ticket.service and ticket.service.calendar else None,
    )
    running = snapshot["clock"]["anchor"] is not None
    if fresh["calendar"] != snapshot["calendar"]:
        # Time used so far is measured in the old calendar; from now on the new one counts
        # (a P3 on office hours upgraded to P1 runs 24x7 from this moment).
        clock.pause(snapshot["clock"], snapshot["calendar"], now)
        if snapshot.get("ola"):
            clock.pause(snapshot["ola"]["clock"], snapshot["calendar"], now)
        snapshot["calendar"] = fresh["calendar"]
        if running:
            clock.resume(snapshot["clock"], now)
            if snapshot.get("ola"):
                clock.resume(snapshot["ola"]["clock"], now)
    snapshot.update({k: v for k, v in fresh.items() if k != "calendar"})
    snapshot["next_step"] = 0
    # New targets: the resolution warning may be due again under them.
    snapshot["fired"] = [k for k in snapshot.get("fired", ()) if k != "resolution_warning"]
    budget, auto_escalate = clock.ola_budget(ticket.team_id, ticket.tier, ticket.priority)
    if snapshot.get("ola"):
        snapshot["ola"].update(budget_seconds=budget, auto_escalate=auto_escalate)
    _recompute(ticket)


def first_response(ticket: Ticket, now: datetime) -> None:
    ticket.first_responded_at = now
    disarm(ticket.pk, [TimerKind.FIRST_RESPONSE])
