"""The ticket page and its actions. Each action parses its form, calls one command with the
version the form was rendered with, and either redirects (success) or shows the page again
with the refusal and the agent's input (422/403/404/409), never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from tierdesk.accounts import policy
from tierdesk.accounts.models import PERSON_NAME, User
from tierdesk.core.errors import DomainError, InvalidInput, NotFound, StaleVersion
from tierdesk.escalations.services import escalate
from tierdesk.org.models import Team, TeamKind
from tierdesk.org.selectors import team_members
from tierdesk.tickets import selectors
from tierdesk.tickets.lifecycle import allowed_transitions
from tierdesk.tickets.models import Ticket, TicketLink
from tierdesk.tickets.models.enums import STATUS_LABELS
from tierdesk.tickets.services import add_comment, assign, link, merge, transition, update_ticket
from tierdesk.tickets.services.fields import TicketChanges
from tierdesk.web import ticket_forms as tf
from tierdesk.web.clocks import ola_clock, sla_clock
from tierdesk.web.selectors import assignment_candidates
from tierdesk.web.timeline import build_timeline, people_named_in
from tierdesk.web.views.common import CHANNEL, error_status, error_text, staff_required, viewer


def _load(user: User, key: str) -> Ticket:
    try:
        return selectors.get_ticket(user, key)
    except NotFound:
        raise Http404(f"no ticket {key}") from None


def _assign_form(ticket: Ticket, version: int) -> tf.AssignForm:
    """The assign form: the team's people with their open load and shift, holding
    ``version``."""
    people = [
        (
            c.user.username,
            f"{c.user.display_name} — {c.open_tickets} open, "
            f"{'on shift' if c.user.on_shift else 'away'}",
        )
        for c in assignment_candidates(ticket.team_id)
    ]
    return tf.AssignForm(
        initial={
            "version": version,
            "assignee": ticket.assignee.username if ticket.assignee else "",
        },
        choices=people,
    )


def _forms(ticket: Ticket, teams: list[Team]) -> dict[str, Any]:
    """Fresh forms for the page, each holding the version the agent is looking at; the
    assign form comes after the page is shown (:func:`assign_view`)."""
    v = {"version": ticket.version}
    statuses = [(s, STATUS_LABELS.get(s, s)) for s in allowed_transitions(ticket.status)]
    tiers = [(f"tier:{n}", f"L{n} (routing picks the team)") for n in (1, 2, 3) if n != ticket.tier]
    team_choices = [
        (f"team:{t.slug}", f"{t.name}" + (f" (L{t.level})" if t.level else ""))
        for t in teams
        if t.pk != ticket.team_id
    ]
    return {
        "reply": tf.ReplyForm(initial=v, prefix="reply"),
        "note": tf.ReplyForm(initial=v, prefix="note"),
        "transition": tf.TransitionForm(initial=v, choices=statuses),
        "escalate": tf.EscalateForm(initial=v, choices=[("Tier", tiers), ("Team", team_choices)]),
        "link": tf.LinkForm(initial=v),
        "merge": tf.MergeForm(initial=v),
        "fields": tf.FieldsForm(
            initial={
                **v,
                "impact": ticket.impact,
                "urgency": ticket.urgency,
                "priority": ticket.priority if ticket.priority_overridden else "",
            }
        ),
    }


def _page(
    request: HttpRequest,
    key: str,
    *,
    bound: tuple[str, Any] | None = None,
    status: int = 200,
    refresh_version: bool = False,
) -> HttpResponse:
    """The page; ``bound`` re-shows one submitted form with its errors and input. After a
    stale-version refusal the page shows the current ticket, so that form takes its version."""
    user = viewer(request)
    ticket = _load(user, key)
    now = timezone.now()
    teams = list(Team.objects.exclude(kind=TeamKind.MANAGEMENT).order_by("level", "slug"))
    forms = _forms(ticket, teams)
    if bound is not None:
        name, form = bound
        if refresh_version:
            data = form.data.copy()
            data[form.add_prefix("version")] = str(ticket.version)
            form.data = data
        forms[name] = form
    events = selectors.events_for(user, ticket)
    named = User.objects.filter(username__in=people_named_in(events)).only(*PERSON_NAME)
    links = TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket)).order_by("pk")
    context = {
        "ticket": ticket,
        "sla": sla_clock(ticket, now),
        "ola": ola_clock(ticket, now),
        "timeline": build_timeline(
            events,
            selectors.comments_for(user, ticket),
            {t.slug: t.name for t in teams},
            {p.username: p.display_name for p in named},
        ),
        "links": [
            {
                "kind": lk.get_kind_display(),
                "key": f"TD-{lk.target_id if lk.source_id == ticket.pk else lk.source_id}",
                "outgoing": lk.source_id == ticket.pk,
            }
            for lk in links
        ],
        "merged_key": f"TD-{ticket.merged_into_id}" if ticket.merged_into_id else None,
        "forms": forms,
        "assign_form": forms.get("assign"),  # a refused assignment shown again; else loaded later
        "may_work": policy.may_work_on(user, ticket),
        "nav": "queues",
    }
    return render(request, "web/ticket.html", context, status=status)


@staff_required
def detail(request: HttpRequest, key: str) -> HttpResponse:
    return _page(request, key)


def _act(
    request: HttpRequest,
    key: str,
    name: str,
    form: Any,
    command: Callable[[Ticket, User, Any], str],
) -> HttpResponse:
    """Validate ``form``; run ``command`` (it returns the success message); show the outcome."""
    user = viewer(request)
    ticket = _load(user, key)
    if not form.is_valid():
        messages.error(request, "Check the form: some fields are missing or invalid.")
        return _page(request, key, bound=(name, form), status=422)
    try:
        done = command(ticket, user, form)
    except DomainError as exc:
        if isinstance(exc, NotFound) and name not in ("link", "merge"):
            raise Http404(exc.message) from None
        stale = isinstance(exc, StaleVersion)
        messages.error(request, error_text(exc, ticket.key if stale else None))
        return _page(
            request, key, bound=(name, form), status=error_status(exc), refresh_version=stale
        )
    messages.success(request, done)
    return redirect(reverse("ticket", args=[ticket.key]) + f"#{name}")


@staff_required
@require_POST
def reply(request: HttpRequest, key: str) -> HttpResponse:
    internal = request.POST.get("kind") == "note"
    name = "note" if internal else "reply"
    form = tf.ReplyForm(request.POST, prefix=name)

    def command(ticket: Ticket, user: User, form: Any) -> str:
        add_comment(
            ticket, form.cleaned_data["body"], actor=user, internal=internal, channel=CHANNEL
        )
        return "Internal note added." if internal else "Reply sent to the requester."

    return _act(request, key, name, form, command)


@staff_required
@require_http_methods(["GET", "POST"])
def assign_view(request: HttpRequest, key: str) -> HttpResponse:
    """GET: the assign form, which the ticket page loads once it is shown; POST: assign."""
    if request.method == "GET":
        return _assign_panel(request, key)
    user = viewer(request)
    ticket = _load(user, key)
    people = sorted((p.username, p.username) for p in team_members(ticket.team_id))
    form = tf.AssignForm(request.POST, choices=people)

    def command(ticket: Ticket, user: User, form: Any) -> str:
        username = form.cleaned_data["assignee"]
        person = User.objects.filter(username=username).first() if username else None
        assign(
            ticket,
            person,
            actor=user,
            channel=CHANNEL,
            expected_version=form.cleaned_data["version"],
        )
        return f"Assigned to {person.display_name}." if person else "Unassigned."

    return _act(request, key, "assign", form, command)


def _assign_panel(request: HttpRequest, key: str) -> HttpResponse:
    """The assign form with each person's open load. Counting a team's open work (tens of
    thousands of index entries at a big service desk) took a fifth of the ticket page, so
    the page asks for this once it is shown, as the queue page does for its sidebar counts.
    The form holds the version the page showed (``?version=``), so a change made in between
    is still refused as stale. Without HTMX it is a page of its own."""
    user = viewer(request)
    ticket = _load(user, key)
    if not policy.may_work_on(user, ticket):
        raise PermissionDenied(f"you may not assign {ticket.key}")
    shown = tf.ShownVersionForm(request.GET)
    version = shown.cleaned_data["version"] if shown.is_valid() else ticket.version
    context = {"ticket": ticket, "form": _assign_form(ticket, version), "nav": "queues"}
    template = "web/_assign.html" if request.headers.get("HX-Request") else "web/assign.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])  # one address, a fragment or a page
    return response


@staff_required
@require_POST
def transition_view(request: HttpRequest, key: str) -> HttpResponse:
    user = viewer(request)
    ticket = _load(user, key)
    choices = [(s, STATUS_LABELS.get(s, s)) for s in allowed_transitions(ticket.status)]
    form = tf.TransitionForm(request.POST, choices=choices)

    def command(ticket: Ticket, user: User, form: Any) -> str:
        to = form.cleaned_data["to"]
        transition(
            ticket,
            to,
            actor=user,
            note=form.cleaned_data["note"],
            channel=CHANNEL,
            expected_version=form.cleaned_data["version"],
        )
        return f"Status is now {STATUS_LABELS.get(to, to)}."

    return _act(request, key, "transition", form, command)


@staff_required
@require_POST
def escalate_view(request: HttpRequest, key: str) -> HttpResponse:
    choices = [(f"tier:{n}", n) for n in (1, 2, 3)] + [
        (f"team:{slug}", slug)
        for slug in Team.objects.exclude(kind=TeamKind.MANAGEMENT).values_list("slug", flat=True)
    ]
    form = tf.EscalateForm(request.POST, choices=choices)

    def command(ticket: Ticket, user: User, form: Any) -> str:
        moved = escalate(
            ticket,
            actor=user,
            note=form.cleaned_data["note"],
            channel=CHANNEL,
            expected_version=form.cleaned_data["version"],
            **form.destination(),
        )
        return f"{moved.key} is now with {moved.team.name}."

    return _act(request, key, "escalate", form, command)


def _other(user: User, raw: str) -> Ticket:
    try:
        return selectors.get_ticket(user, raw.strip())
    except NotFound:
        raise InvalidInput(f"no ticket {raw.strip()!r} that you can see", field="target") from None


@staff_required
@require_POST
def link_view(request: HttpRequest, key: str) -> HttpResponse:
    form = tf.LinkForm(request.POST)

    def command(ticket: Ticket, user: User, form: Any) -> str:
        other = _other(user, form.cleaned_data["target"])
        link(ticket, other, form.cleaned_data["kind"], actor=user, channel=CHANNEL)
        return f"Linked {ticket.key} and {other.key}."

    return _act(request, key, "link", form, command)


@staff_required
@require_POST
def merge_view(request: HttpRequest, key: str) -> HttpResponse:
    form = tf.MergeForm(request.POST)

    def command(ticket: Ticket, user: User, form: Any) -> str:
        primary = _other(user, form.cleaned_data["target"])
        merge(ticket, primary, actor=user, note=form.cleaned_data["note"], channel=CHANNEL)
        return f"Merged {ticket.key} into {primary.key}."

    return _act(request, key, "merge", form, command)


@staff_required
@require_POST
def fields_view(request: HttpRequest, key: str) -> HttpResponse:
    user = viewer(request)
    ticket = _load(user, key)
    form = tf.FieldsForm(
        request.POST,
        initial={
            "impact": ticket.impact,
            "urgency": ticket.urgency,
            "priority": ticket.priority if ticket.priority_overridden else "",
        },
    )

    def command(ticket: Ticket, user: User, form: Any) -> str:
        data, changed = form.cleaned_data, set(form.changed_data)
        override = "priority" in changed and data["priority"]
        changes = TicketChanges(
            impact=data["impact"] if "impact" in changed else None,
            urgency=data["urgency"] if "urgency" in changed else None,
            priority=data["priority"] if override else None,
            priority_reason=data["priority_reason"] if override else None,
        )
        updated = update_ticket(
            ticket, changes, actor=user, channel=CHANNEL, expected_version=data["version"]
        )
        return f"Saved. Priority is {updated.priority}."

    return _act(request, key, "fields", form, command)
