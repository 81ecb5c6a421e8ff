"""Time-driven escalation: tier budgets (OLA) and hierarchical notification steps."""

from __future__ import annotations

import logging
from collections.abc import Callable

from tierdesk.accounts.models import User
from tierdesk.core.errors import DomainError
from tierdesk.escalations.services import escalate_held, next_tier
from tierdesk.org.selectors import people_with_role
from tierdesk.scheduler.firing import Firing
from tierdesk.scheduler.models import Timer, TimerKind
from tierdesk.slas import clock
from tierdesk.tickets.models import Ticket

log = logging.getLogger(__name__)

RELATIONS = ("assignee", "team_lead", "lead_manager", "incident_manager", "it_manager", "cio")


def recipients(
    ticket: Ticket,
    relations: list[str],
    with_role: Callable[[str], list[User]] = people_with_role,
) -> list[User]:
    """People on the org chart named by relation to the ticket (see HierarchyPolicy)."""
    lead = ticket.team.lead
    found: list[User | None] = []
    for relation in relations:
        if relation == "assignee":
            found.append(ticket.assignee)
        elif relation == "team_lead":
            found.append(lead)
        elif relation == "lead_manager":
            found.append(lead.manager if lead else None)
        elif relation in ("incident_manager", "it_manager", "cio"):
            found.extend(with_role(relation))
    unique = {p.pk: p for p in found if p is not None}
    return list(unique.values())


def hierarchy_step_due(firing: Firing, timer: Timer) -> None:
    ticket = firing.ticket
    snapshot = ticket.sla_snapshot
    steps = snapshot["hierarchy"]
    index = timer.step
    if index >= len(steps) or index < int(snapshot.get("next_step", 0)):
        return  # superseded (re-prioritised); the current step has its own timer
    step = steps[index]
    snapshot["next_step"] = index + 1
    done = f"{ticket.priority}:{index}"
    if done in snapshot.get("notified", ()):  # reached before, under the same priority
        firing.save("sla_snapshot")
        firing.arm(clock.hierarchy_timer(snapshot), replace=[TimerKind.HIERARCHY])
        return
    snapshot["notified"] = [*snapshot.get("notified", ()), done]
    people = recipients(ticket, list(step["notify"]), firing.roles.people)
    firing.save("sla_snapshot")
    firing.event(
        "hierarchy_notified",
        data={
            "step": index,
            "at_percent": step["at_percent"],
            "recipients": sorted(p.username for p in people),
        },
    )
    firing.alert(
        "hierarchical_escalation",
        people,
        f"{step['at_percent']}% of the resolution target used",
        dedup=f"{ticket.key}:hierarchy:{index}",
    )
    firing.arm(clock.hierarchy_timer(snapshot), replace=[TimerKind.HIERARCHY])


def ola_due(firing: Firing, timer: Timer) -> None:
    ticket = firing.ticket
    ola = ticket.sla_snapshot.get("ola") or {}
    tier = next_tier(ticket)
    escalating = bool(ola.get("auto_escalate")) and tier is not None
    ola["fired"] = True
    ticket.ola_breached = True
    firing.save("ola_breached", "sla_snapshot")
    firing.event(
        "ola_breached",
        data={
            "team": ticket.team.slug,
            "tier": ticket.tier,
            "budget_seconds": ola.get("budget_seconds"),
        },
    )
    if not escalating:
        firing.alert(
            "ola_breach",
            [p for p in (ticket.assignee, ticket.team.lead) if p],
            "tier budget used up",
            dedup=f"{ticket.key}:ola:{ticket.team_entered_at.isoformat()}",
        )
        return
    note = (
        f"Automatic escalation: the tier-{ticket.tier} budget of "
        f"{int(ola.get('budget_seconds', 0)) // 60} minutes ran out."
    )
    try:
        with firing.command():
            escalate_held(firing, actor=None, to_tier=tier, automatic=True, note=note)
    except DomainError as exc:
        log.warning("automatic escalation of %s not possible: %s", ticket.key, exc)
