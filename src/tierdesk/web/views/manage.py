"""The management view: open work, SLA compliance, escalations, oldest and breaching tickets."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tierdesk.escalations.models import Direction
from tierdesk.web.rows import rows_for
from tierdesk.web.selectors import management_overview
from tierdesk.web.views.common import management_required, viewer


@management_required
def overview(request: HttpRequest) -> HttpResponse:
    figures = management_overview(viewer(request))
    now = figures["now"]
    directions = dict(Direction.choices)
    escalations = [
        {**row, "direction_label": directions.get(row["direction"], row["direction"])}
        for row in figures["escalations"]
    ]
    return render(
        request,
        "web/manage.html",
        {
            **figures,
            "escalations": escalations,
            "oldest_rows": rows_for(figures["oldest"], now, selectable=False),
            "breaching_rows": rows_for(figures["breaching"], now, selectable=False),
            "nav": "manage",
        },
    )
