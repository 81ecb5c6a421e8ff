"""Commands that change tickets. Each is one transaction with its audit events; side effects
(notifications) run after commit. Adapters (API, UI, CLI, mail) call only these."""

from tierdesk.tickets.services.assignment import assign
from tierdesk.tickets.services.comments import add_comment
from tierdesk.tickets.services.create import NewTicket, create_ticket
from tierdesk.tickets.services.fields import update_ticket
from tierdesk.tickets.services.lifecycle import transition
from tierdesk.tickets.services.links import link, merge
from tierdesk.tickets.services.watchers import add_watcher

__all__ = [
    "NewTicket",
    "add_comment",
    "add_watcher",
    "assign",
    "create_ticket",
    "link",
    "merge",
    "transition",
    "update_ticket",
]
