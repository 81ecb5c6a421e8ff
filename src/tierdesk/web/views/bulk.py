"""Bulk actions on queue rows: each ticket goes through its own command, failures listed."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from tierdesk.accounts.models import User
from tierdesk.core.errors import DomainError, InvalidInput
from tierdesk.escalations.services import escalate
from tierdesk.tickets import selectors
from tierdesk.tickets.services import assign, transition
from tierdesk.web.forms import BulkForm
from tierdesk.web.views.common import CHANNEL, error_text, safe_next, staff_required, viewer

UNASSIGN = "-"


def _assignee(value: str, actor: User) -> User | None:
    value = value.strip()
    if value == UNASSIGN:
        return None
    if not value:
        return actor
    person = User.objects.filter(username=value, is_active=True).first()
    if person is None:
        raise InvalidInput(f"no person named {value!r}", field="assignee")
    return person


@staff_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    actor = viewer(request)
    form = BulkForm(request.POST)
    back = safe_next(request, request.POST.get("next"), reverse("queue-mine"))
    if not form.is_valid():
        messages.error(request, "Tick at least one ticket and choose an action.")
        return redirect(back)
    data = form.cleaned_data
    action = data["action"]
    try:
        person = _assignee(data["assignee"], actor) if action == "assign" else None
        if action == "transition" and not data["to"]:
            raise InvalidInput("choose the status to move the tickets to", field="to")
        if action == "escalate" and (data["to_tier"] is None or not data["note"].strip()):
            raise InvalidInput("choose a tier and write a handoff note", field="note")
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect(back)
    done: list[str] = []
    for key, version in form.rows():
        try:
            ticket = selectors.get_ticket(actor, key)
            if action == "assign":
                assign(ticket, person, actor=actor, channel=CHANNEL, expected_version=version)
            elif action == "transition":
                transition(
                    ticket,
                    data["to"],
                    actor=actor,
                    note=data["note"],
                    channel=CHANNEL,
                    expected_version=version,
                )
            else:
                escalate(
                    ticket,
                    actor=actor,
                    note=data["note"],
                    to_tier=data["to_tier"],
                    channel=CHANNEL,
                    expected_version=version,
                )
            done.append(ticket.key)
        except DomainError as exc:
            messages.error(request, error_text(exc, key))
    if done:
        messages.success(request, f"Done for {len(done)} ticket(s): {', '.join(done)}.")
    return redirect(back)
