"""Read queries of the phone channel, always through the access policy."""

from __future__ import annotations

from dataclasses import dataclass

from tierdesk.accounts import policy
from tierdesk.accounts.models import User
from tierdesk.core.errors import Forbidden, InvalidInput, NotFound
from tierdesk.phone import access, callers, numbers
from tierdesk.phone.models import UNLINKED, Call
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES

QUERY_MAX = 254
PAGE_MAX = 200


@dataclass(frozen=True)
class Candidate:
    """A person a caller may be, with their open tickets the agent may see."""

    person: User
    open_tickets: list[Ticket]


def find_caller(agent: User, query: str) -> list[Candidate]:
    """People whose phone (normalised) or email is ``query``, each with the open tickets
    they requested that ``agent`` may see — the "who is calling?" step of logging a call.
    Three queries whatever the number of candidates."""
    access.require_staff(agent)
    query = query.strip()
    if not query or len(query) > QUERY_MAX:
        raise InvalidInput(f"q: give a phone number or an email (1–{QUERY_MAX})", field="q")
    if numbers.looks_like_email(query):
        people = callers.users_with_email(callers.clean_email(query, "q"))
    else:
        people = callers.users_with_number(numbers.normalise(query, "q"))
    found = list(people.select_related("organisation")[: callers.CANDIDATES_MAX])
    tickets = policy.visible_tickets(
        agent,
        Ticket.objects.filter(requester__in=found, status__in=OPEN_STATUSES).select_related(
            "team", "assignee", "requester", "service"
        ),
    ).order_by("-updated_at", "-pk")
    by_person: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        by_person.setdefault(ticket.requester_id, []).append(ticket)
    return [Candidate(person=p, open_tickets=by_person.get(p.pk, [])) for p in found]


def unlinked_calls(viewer: User, *, limit: int = 50, before: int | None = None) -> list[Call]:
    """Calls the telephony system could not place, newest first, for L1 to attach."""
    access.require_call_queue(viewer)
    calls = Call.objects.filter(UNLINKED).select_related("caller", "ticket")
    if before is not None:
        calls = calls.filter(pk__lt=before)
    return list(calls.order_by("-pk")[: max(1, min(limit, PAGE_MAX))])


def get_call(viewer: User, call_id: int) -> Call:
    """A call for the unlinked-call queue's users; anyone else is told it does not exist."""
    try:
        access.require_call_queue(viewer)
    except Forbidden:
        raise NotFound(f"no call {call_id}") from None
    call = Call.objects.select_related("caller", "ticket", "logged_by").filter(pk=call_id).first()
    if call is None:
        raise NotFound(f"no call {call_id}")
    return call
