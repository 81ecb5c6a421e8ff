"""Queue pages: my work, team, tier, unassigned, breaching soon, saved views, bulk actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tierdesk.core.errors import InvalidInput
from tierdesk.org.models import Team
from tierdesk.tickets import selectors
from tierdesk.tickets.models import Status, Ticket
from tierdesk.web import selectors as web_selectors
from tierdesk.web.forms import QueueFilterForm, SavedFilterForm
from tierdesk.web.models import SavedFilter
from tierdesk.web.rows import COLUMNS as ROW_COLUMNS
from tierdesk.web.rows import rows_for
from tierdesk.web.views.common import staff_required, viewer

PAGE_SIZE = 50
POLL_TARGET = "queue-rows"
POLL_TARGETS = (POLL_TARGET, "soon-rows")
SOON_LIMIT = 100
SOON = timedelta(hours=1)


def _saved_query(request: HttpRequest, preset: dict[str, Any]) -> str:
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key != "cursor":
            params.setlist(key, values)
    for key, value in preset.items():
        params[key] = "on" if value is True else str(value)
    return params.urlencode()


def _queue(
    request: HttpRequest,
    *,
    title: str,
    nav: str,
    current: str,
    preset: dict[str, Any] | None = None,
    intro: str = "",
    default_order: str = "newest",
    due_soon: bool = False,
) -> HttpResponse:
    user = viewer(request)
    preset = preset or {}
    form = QueueFilterForm(request.GET)
    status = 200
    page: list[Ticket] = []
    next_cursor = None
    order = default_order
    if form.is_valid():
        order = form.cleaned_data["order"] or default_order
        try:
            page, next_cursor = selectors.list_tickets(
                user,
                form.filters(**preset),
                limit=PAGE_SIZE,
                cursor=form.cleaned_data["cursor"] or None,
                order=order,
                columns=ROW_COLUMNS,
            )
        except InvalidInput as exc:
            messages.error(request, exc.message)
            status = 422
    else:
        status = 422
    now = timezone.now()
    target = request.headers.get("HX-Target")
    context: dict[str, Any] = {
        "title": title,
        "intro": intro,
        "nav": nav,
        "current": current,
        "form": form,
        "rows": rows_for(page, now),
        "order": order,
        "next_cursor": next_cursor,
        "has_cursor": bool(request.GET.get("cursor")),
        "poll_url": request.get_full_path(),
        "preset": preset,
    }
    if due_soon:
        soon = web_selectors.due_soon(user, now + SOON, limit=SOON_LIMIT)
        context.update(soon_rows=rows_for(soon, now), soon_minutes=int(SOON.total_seconds() // 60))
        context["soon_limit"] = SOON_LIMIT
    if target in POLL_TARGETS:
        template = "web/_queue_rows.html" if target == POLL_TARGET else "web/_soon_rows.html"
        return render(request, template, context, status=status)
    context.update(_sidebar(request, preset, current))
    return render(request, "web/queue.html", context, status=status)


def _queue_links(current: str, counts: dict[str, dict[int, int]] | None) -> dict[str, Any]:
    """The tier and team links of the sidebar; without ``counts`` their badges are left out."""

    def badge(kind: str, key: int) -> int | None:
        return None if counts is None else counts[kind].get(key, 0)

    return {
        "current": current,
        "team_links": [
            (team, f"team:{team.slug}", badge("team", team.pk))
            for team in web_selectors.queue_teams()
        ],
        "tier_links": [(n, f"tier:{n}", badge("tier", n)) for n in (1, 2, 3)],
    }


def _sidebar(request: HttpRequest, preset: dict[str, Any], current: str) -> dict[str, Any]:
    """The sidebar without its counts: exact counts over every open ticket cost more than the
    page itself, so the page asks for them once it is shown (``sidebar_counts``)."""
    user = viewer(request)
    return {
        **_queue_links(current, None),
        "counts_url": f"{reverse('queue-counts')}?{urlencode({'current': current})}",
        "saved_filters": list(SavedFilter.objects.filter(owner=user)),
        "saved_form": SavedFilterForm(initial={"query": _saved_query(request, preset)}),
        "colleagues": web_selectors.colleagues(user),
        "statuses": Status.choices,
    }


@staff_required
def sidebar_counts(request: HttpRequest) -> HttpResponse:
    """The sidebar's tier and team links with their open-ticket counts, loaded by the queue
    page after it is shown; ``current`` is the page's view key, to mark its link."""
    current = request.GET.get("current", "")[:120]
    counts = web_selectors.queue_counts(viewer(request))
    return render(request, "web/_queue_links.html", _queue_links(current, counts))


@staff_required
def mine(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    return _queue(
        request,
        title="My work",
        nav="mine",
        current="mine",
        preset={"assignee": user.username},
        intro="Open tickets assigned to you.",
    )


@staff_required
def all_queues(request: HttpRequest) -> HttpResponse:
    return _queue(
        request,
        title="All visible tickets",
        nav="queues",
        current="all",
        intro="Every ticket you may see; narrow it with the filters.",
    )


@staff_required
def team_queue(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    return _queue(
        request,
        title=f"{team.name} queue",
        nav="queues",
        current=f"team:{team.slug}",
        preset={"team": team.slug},
    )


@staff_required
def tier_queue(request: HttpRequest, tier: int) -> HttpResponse:
    if tier not in (1, 2, 3):
        raise Http404("tiers are 1, 2 and 3")
    return _queue(
        request,
        title=f"L{tier} queue",
        nav="queues",
        current=f"tier:{tier}",
        preset={"tier": tier},
        intro=f"Open tickets held by every tier-{tier} team.",
    )


@staff_required
def unassigned(request: HttpRequest) -> HttpResponse:
    return _queue(
        request,
        title="Unassigned",
        nav="unassigned",
        current="unassigned",
        preset={"unassigned": True},
        intro="Open tickets nobody owns yet.",
    )


@staff_required
def breaching(request: HttpRequest) -> HttpResponse:
    """Tickets that breached any clock, and those whose SLA or OLA falls due within the hour."""
    return _queue(
        request,
        title="Breaching soon",
        nav="breaching",
        current="breaching",
        preset={"breaching": True},
        intro="Open tickets that breached a target: first response, resolution or tier OLA.",
        default_order="due",
        due_soon=True,
    )


@staff_required
@require_POST
def save_filter(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    form = SavedFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the view a name of at most 80 characters.")
        return redirect("queues")
    name = form.cleaned_data["name"].strip()
    query = form.cleaned_data["query"] or ""
    SavedFilter.objects.update_or_create(owner=user, name=name, defaults={"query": query})
    messages.success(request, f"Saved the view “{name}”.")
    return redirect(f"{reverse('queues')}?{query}" if query else reverse("queues"))


@staff_required
@require_POST
def delete_filter(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedFilter, pk=pk, owner=viewer(request))
    saved.delete()
    messages.success(request, f"Deleted the view “{saved.name}”.")
    return redirect("queues")
