from tierdesk.tickets.models.enums import (
    Channel,
    Level,
    LinkKind,
    Priority,
    Status,
    TicketType,
)
from tierdesk.tickets.models.opencount import OpenTicketCount
from tierdesk.tickets.models.ticket import (
    Comment,
    IdempotencyRecord,
    Participation,
    Ticket,
    TicketLink,
    TierStint,
)

__all__ = [
    "Channel",
    "Comment",
    "IdempotencyRecord",
    "Level",
    "LinkKind",
    "OpenTicketCount",
    "Participation",
    "Priority",
    "Status",
    "Ticket",
    "TicketLink",
    "TicketType",
    "TierStint",
]
