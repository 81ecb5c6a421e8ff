"""A requester's tickets: list, submit, read, reply, close, reopen, withdraw.

Thin adapters: the ticket selectors decide what a requester sees, the ticket commands decide
what they may do, and refusals come back as messages on the ticket page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tierdesk.accounts.models import User
from tierdesk.core.errors import DomainError, Forbidden, InvalidInput, NotFound, StaleVersion
from tierdesk.core.errors import TransitionNotAllowed as NotAllowed
from tierdesk.portal import presenting
from tierdesk.portal.forms import MoveForm, NewTicketForm, ReplyForm, new_form_token
from tierdesk.portal.views.common import requester, requester_required
from tierdesk.tickets import selectors
from tierdesk.tickets.models import Channel, Status, Ticket
from tierdesk.tickets.models.enums import OPEN_STATUSES
from tierdesk.tickets.selectors import TicketFilters
from tierdesk.tickets.services import NewTicket, add_comment, create_ticket, transition

PAGE_SIZE = 20
SIDEBAR_SIZE = 8
NOT_FINISHED = [*OPEN_STATUSES, Status.RESOLVED]
MOVE_DONE = {
    Status.CLOSED: "Thank you for confirming. {key} is closed.",
    Status.IN_PROGRESS: "{key} is open again. Please reply below to tell us what is still wrong.",
    Status.CANCELLED: "{key} is withdrawn. Nothing more will happen on it.",
}


def _ticket_or_404(user: User, key: str) -> Ticket:
    try:
        return selectors.get_ticket(user, key)
    except NotFound:
        raise Http404("no such ticket") from None


@requester_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = requester(request)
    show = "open" if request.GET.get("show") == "open" else "all"
    filters = TicketFilters(status=list(NOT_FINISHED)) if show == "open" else TicketFilters()
    cursor = request.GET.get("cursor") or None
    try:
        tickets, next_cursor = selectors.list_tickets(user, filters, limit=PAGE_SIZE, cursor=cursor)
    except InvalidInput:
        return redirect("portal:home")
    return render(
        request,
        "portal/ticket_list.html",
        {
            "tickets": [_row(ticket, user) for ticket in tickets],
            "show": show,
            "next_cursor": next_cursor,
            "paged": cursor is not None,
            "nav": "tickets",
        },
    )


def _row(ticket: Ticket, user: User) -> dict[str, Any]:
    return {
        "ticket": ticket,
        "status": presenting.status_text(ticket.status),
        "raised_by": None if ticket.requester_id == user.pk else ticket.requester.display_name,
    }


@requester_required
@require_http_methods(["GET", "POST"])
def new_ticket(request: HttpRequest) -> HttpResponse:
    user = requester(request)
    form = NewTicketForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new = NewTicket(
            title=data["title"],
            description=data["description"],
            service=data["service"].slug if data["service"] else None,
            impact=data["impact"],
            urgency=data["urgency"],
            channel=Channel.PORTAL,
        )
        try:
            ticket = create_ticket(
                new, requester=user, actor=user, idempotency_key=f"portal:{data['form_token']}"
            )
        except InvalidInput as refused:
            form = _refused(request, form, refused)
        else:
            messages.success(
                request,
                f"Thank you. We have logged your request as {ticket.key}. "
                "We will answer here and by email.",
            )
            return redirect("portal:ticket", key=ticket.key)
    status = 422 if request.method == "POST" else 200
    return render(request, "portal/ticket_new.html", {"form": form, "nav": "new"}, status=status)


def _refused(request: HttpRequest, form: NewTicketForm, refused: InvalidInput) -> NewTicketForm:
    if refused.field == "Idempotency-Key":
        # The same page was already sent with other details; that ticket exists. A fresh
        # token lets the person send this version deliberately as a second request.
        data = request.POST.copy()
        data["form_token"] = new_form_token()
        form = NewTicketForm(data)
        form.is_valid()
        form.add_error(
            None,
            "You already sent this form once with different details; that request is in "
            "“Your tickets”. Press “Send request” again to log this as a separate request.",
        )
        return form
    form.add_error(refused.field if refused.field in form.fields else None, refused.message)
    return form


@requester_required
@require_GET
def ticket_detail(request: HttpRequest, key: str) -> HttpResponse:
    user = requester(request)
    ticket = _ticket_or_404(user, key)
    return render(request, "portal/ticket_detail.html", _detail(user, ticket, ReplyForm()))


def _detail(user: User, ticket: Ticket, reply_form: ReplyForm) -> dict[str, Any]:
    show_names = presenting.show_agent_names()
    comments = list(selectors.comments_for(user, ticket))
    events = selectors.events_for(user, ticket)
    recent, _ = selectors.list_tickets(user, TicketFilters(), limit=SIDEBAR_SIZE)
    return {
        "ticket": ticket,
        "status": presenting.status_text(ticket.status),
        "priority": presenting.PRIORITY_TEXT.get(ticket.priority, ticket.priority),
        "handled_by": (
            ticket.assignee.display_name if show_names and ticket.assignee is not None else None
        ),
        "raised_by": presenting.person_label(ticket.requester, user, show_names),
        "entries": presenting.conversation(user, comments, events, show_names),
        "moves": presenting.offered_moves(ticket, user, timezone.now()),
        "needs_reply": presenting.waits_for(ticket, user),
        "reply_form": reply_form,
        "recent": [_row(other, user) for other in recent],
        "nav": "tickets",
    }


@requester_required
@require_POST
def reply(request: HttpRequest, key: str) -> HttpResponse:
    user = requester(request)
    ticket = _ticket_or_404(user, key)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/ticket_detail.html", _detail(user, ticket, form), status=422)
    try:
        add_comment(ticket, form.cleaned_data["body"], actor=user, channel=Channel.PORTAL)
    except DomainError as refused:
        _refusal(request, refused)
    else:
        messages.success(request, "Your reply was sent.")
    return redirect("portal:ticket", key=ticket.key)


@requester_required
@require_POST
def move(request: HttpRequest, key: str) -> HttpResponse:
    user = requester(request)
    ticket = _ticket_or_404(user, key)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That did not work. Please use the buttons on this page.")
        return redirect("portal:ticket", key=ticket.key)
    to = form.cleaned_data["to"]
    try:
        transition(
            ticket,
            to,
            actor=user,
            channel=Channel.PORTAL,
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as refused:
        _refusal(request, refused)
    else:
        done = MOVE_DONE.get(Status(to)) if to in Status.values else None
        messages.success(request, (done or "{key} was updated.").format(key=ticket.key))
    return redirect("portal:ticket", key=ticket.key)


def _refusal(request: HttpRequest, refused: DomainError) -> None:
    if isinstance(refused, NotFound):
        raise Http404("no such ticket")
    if isinstance(refused, StaleVersion):
        text = "The ticket changed while you were looking at it. Here is how it stands now."
    elif isinstance(refused, NotAllowed | Forbidden):
        text = "That is no longer possible for this ticket. Here is how it stands now."
    else:
        text = refused.message
    messages.error(request, text)
