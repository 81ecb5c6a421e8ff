"""Who may use the phone channel. Built on :mod:`tierdesk.accounts.policy`, never beside it.

- Looking people up by number or address: any staff member (requesters get 403).
- Logging a call: staff who can change tickets (auditors read, they do not log).
- The queue of unlinked calls: the service desk (L1) — members of a service-desk team — and
  the roles that see every ticket; attaching one also needs the right to work on the ticket.
"""

from __future__ import annotations

from tierdesk.accounts import policy
from tierdesk.accounts.models import Role, User
from tierdesk.core.errors import Forbidden
from tierdesk.org.models import Team, TeamKind


def require_staff(user: User) -> None:
    if not user.is_active or not user.is_staff_member:
        raise Forbidden("only support staff may use the phone channel")


def require_call_logger(user: User) -> None:
    require_staff(user)
    if user.role == Role.AUDITOR:
        raise Forbidden("auditors may read calls but not log them")


def is_service_desk_member(user: User) -> bool:
    return Team.objects.filter(kind=TeamKind.SERVICE_DESK, pk__in=policy.team_ids(user)).exists()


def require_call_queue(user: User, *, change: bool = False) -> None:
    """Read (or, with ``change``, attach from) the queue of calls waiting for a ticket."""
    require_staff(user)
    allowed = policy.CHANGES_EVERYTHING if change else policy.SEES_EVERYTHING
    if user.role in allowed:
        return
    if change and user.role == Role.AUDITOR:
        raise Forbidden("auditors may read calls but not attach them")
    if not is_service_desk_member(user):
        raise Forbidden("the queue of unlinked calls belongs to the service desk")
