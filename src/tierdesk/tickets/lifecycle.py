"""The ticket state machine: one table (configurable) and the rules around it."""

from __future__ import annotations

from tierdesk.core.errors import TransitionNotAllowed
from tierdesk.org import policies
from tierdesk.tickets.models.enums import Status

# What a requester may do to their own ticket, whatever the agents' table says.
REQUESTER_MOVES: dict[Status, frozenset[str]] = {
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.NEW: frozenset({Status.CANCELLED}),
    Status.ASSIGNED: frozenset({Status.CANCELLED}),
    Status.WAITING_ON_CUSTOMER: frozenset({Status.CANCELLED}),
}


def allowed_transitions(status: str) -> list[str]:
    return list(policies.transitions().get(status, []))


def check_transition(current: str, requested: str) -> None:
    allowed = allowed_transitions(current)
    if requested not in allowed:
        raise TransitionNotAllowed(current, requested, allowed)
