from tierdesk.tickets.models.enums import (
    Channel,
    Level,
    LinkKind,
    Priority,
    Status,
    TicketType,
)
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
    "Participation",
    "Priority",
    "Status",
    "Ticket",
    "TicketLink",
    "TicketType",
    "TierStint",
]
