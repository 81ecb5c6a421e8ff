"""How the portal words a ticket for its requester. Presentation only: which moves are
allowed comes from the ticket lifecycle table, what may be seen from the ticket selectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tierdesk.accounts.models import Role, User
from tierdesk.org import policies
from tierdesk.tickets.lifecycle import REQUESTER_MOVES, allowed_transitions
from tierdesk.tickets.models import Status, Ticket
from tierdesk.tickets.models.enums import FINAL_STATUSES
from tierdesk.tickets.selectors import TimelineComment, TimelineEvent

STATUS_TEXT = {
    Status.NEW: "Received",
    Status.ASSIGNED: "Assigned",
    Status.IN_PROGRESS: "In progress",
    Status.WAITING_ON_CUSTOMER: "Waiting for your reply",
    Status.WAITING_ON_THIRD_PARTY: "Waiting on a supplier",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
    Status.CANCELLED: "Cancelled",
}
PRIORITY_TEXT = {
    "P1": "Critical",
    "P2": "High",
    "P3": "Medium",
    "P4": "Low",
    "P5": "Planning",
}
SUPPORT = "IT support"

# The wording of each move a requester can make, and the style of its button.
MOVE_BUTTONS = {
    Status.CLOSED: ("Yes, it is fixed: close it", "primary"),
    Status.IN_PROGRESS: ("It is not fixed: reopen it", "secondary"),
    Status.CANCELLED: ("I no longer need help: withdraw it", "secondary"),
}

EVENT_TEXT = {
    "created": "Request received",
    "escalated": "Handed to a specialist team",
    "de-escalated": "Handed to another support team",
    "merged": "Merged into another request that covers the same problem",
    "merged_from": "Another request about the same problem was merged into this one",
}


def status_text(status: str) -> str:
    return STATUS_TEXT.get(Status(status), status) if status in Status.values else status


def show_agent_names() -> bool:
    return bool(policies.get("requesters_see_agent_names"))


def person_label(person: User | None, viewer: User, show_names: bool) -> str:
    """``You`` for the viewer, requesters by name, staff by name only if the desk allows."""
    if person is None:
        return SUPPORT
    if person.pk == viewer.pk:
        return "You"
    if person.role == Role.REQUESTER or show_names:
        return person.display_name
    return SUPPORT


@dataclass(frozen=True)
class Move:
    to: str
    label: str
    style: str


@dataclass(frozen=True)
class Moves:
    buttons: list[Move]
    can_reply: bool
    reopen_expired: bool = False
    reopen_days: int = 0

    @property
    def prompt(self) -> str:
        if any(move.to == Status.CANCELLED for move in self.buttons):
            return "No longer need help?"
        return "Is your problem solved?"


def offered_moves(ticket: Ticket, viewer: User, now: datetime) -> Moves:
    """The status buttons to show: the requester's moves that the desk's table allows.

    The commands re-check everything; this only avoids offering a button that would fail.
    """
    can_reply = ticket.status not in FINAL_STATUSES
    if ticket.requester_id != viewer.pk or ticket.status not in Status.values:
        return Moves([], can_reply)
    mine = REQUESTER_MOVES.get(Status(ticket.status), frozenset())
    allowed = [to for to in allowed_transitions(ticket.status) if to in mine]
    expired = False
    days = policies.reopen_days()
    if Status.IN_PROGRESS in allowed and ticket.resolved_at is not None:
        window = timedelta(days=days)
        if now - ticket.resolved_at > window:
            allowed.remove(Status.IN_PROGRESS)
            expired = True
    order = list(MOVE_BUTTONS)
    buttons = [
        Move(to, *MOVE_BUTTONS[Status(to)])
        for to in sorted(allowed, key=lambda s: order.index(Status(s)))
        if Status(to) in MOVE_BUTTONS
    ]
    return Moves(buttons, can_reply, reopen_expired=expired, reopen_days=days)


def waits_for(ticket: Ticket, viewer: User) -> bool:
    """Whether the desk is waiting on this viewer's answer."""
    return ticket.requester_id == viewer.pk and ticket.status == Status.WAITING_ON_CUSTOMER


@dataclass(frozen=True)
class Entry:
    """One item of the public conversation: a reply, or a change the requester may know of."""

    at: datetime
    kind: str  # "reply" or "change"
    who: str
    text: str
    from_support: bool
    order: tuple[int, int]


def conversation(
    viewer: User, comments: list[TimelineComment], events: list[TimelineEvent], show_names: bool
) -> list[Entry]:
    """Public replies and public changes in time order.

    ``comments`` and ``events`` must come from ``comments_for`` / ``events_for`` with the
    requester as viewer; internal comments are dropped here again, and no event's note or
    data is ever shown.
    """
    entries = [
        Entry(
            at=comment.created_at,
            kind="reply",
            who=person_label(comment.author, viewer, show_names),
            text=comment.body,
            from_support=comment.author.role != Role.REQUESTER,
            order=(0, comment.pk),
        )
        for comment in comments
        if not comment.internal
    ]
    for event in events:
        text = _event_text(event)
        if text is None:
            continue
        entries.append(
            Entry(
                at=event.created_at,
                kind="change",
                who=person_label(event.actor, viewer, show_names),
                text=text,
                from_support=event.actor is None or event.actor.role != Role.REQUESTER,
                order=(1, event.seq),
            )
        )
    return sorted(entries, key=lambda e: (e.at, e.order))


def _event_text(event: TimelineEvent) -> str | None:
    if event.kind == "status_changed" and isinstance(event.after, str):
        return f"Status changed to {status_text(event.after)}"
    return EVENT_TEXT.get(event.kind)
