from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tierdesk.org.models import Team
from tierdesk.tickets.models import Ticket


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/home.html",
        {
            "teams": Team.objects.count(),
            "tickets": Ticket.objects.count(),
        },
    )
