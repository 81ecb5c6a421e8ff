"""The org chart: server-rendered SVG with each team's live load; works without JavaScript."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from tierdesk.org.chart import render_org_chart
from tierdesk.org.selectors_chart import chart_teams
from tierdesk.web.views.common import staff_required

TITLE = "Support organisation"


def _svg() -> str:
    # render_org_chart escapes every string and drops unsafe links (see its module doc).
    return render_org_chart(chart_teams(), title=TITLE)


@staff_required
def chart(request: HttpRequest) -> HttpResponse:
    return render(request, "web/org_chart.html", {"svg": mark_safe(_svg()), "nav": "org"})


@staff_required
def chart_svg(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_svg(), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="org-chart.svg"'
    return response
