"""The same queue and ticket as HTML pages of the web UI, for a signed-in agent."""

from __future__ import annotations

from tierdesk.bench.scenarios.base import Context, Result, http_result
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.selectors import ticket_id_from_key

NAME = "html_pages"
TITLE = "HTML queue and ticket pages"
TARGET = "p95 < 50 ms"


def run(ctx: Context) -> list[Result]:
    fixtures = ctx.fixtures
    headers = {"Cookie": fixtures.agent_cookie}
    # As the browser asks for the parts a page loads after it is shown: as HTMX, for a fragment.
    fragment = {**headers, "HX-Request": "true"}
    pages = (
        ("html_queue", "HTML queue page", f"/queues/team/{fixtures.queue_team}", headers),
        ("html_ticket", "HTML ticket page", f"/tickets/{fixtures.html_ticket}", headers),
        # The queue page loads its sidebar counts afterwards (HTMX); measured on their own.
        (
            "html_queue_counts",
            "HTML queue sidebar counts (loaded after the page)",
            f"/queues/counts?current=team:{fixtures.queue_team}",
            fragment,
        ),
        # The ticket page loads its assign picker (each person's open load) afterwards too.
        (
            "html_assign_panel",
            "HTML ticket assign picker (loaded after the page)",
            f"/tickets/{fixtures.html_ticket}/assign?version={_version(fixtures.html_ticket)}",
            fragment,
        ),
    )
    results = []
    for name, title, path, sent in pages:
        status, _ = ctx.web().get(path, sent)
        if status == 404:
            results.append(
                Result(
                    name,
                    title,
                    ctx.vendor,
                    status="skipped",
                    target=TARGET,
                    note=f"{path} answers 404: the web UI page is not there yet",
                )
            )
            continue
        if status != 200:
            results.append(
                Result(
                    name,
                    title,
                    ctx.vendor,
                    status="failed",
                    target=TARGET,
                    note=f"{path} answers {status} for a signed-in agent",
                )
            )
            continue
        load = ctx.load(
            [{"path": path, "headers": sent, "label": name}],
            1,
            ctx.budget((100, 1.5), (2000, 20.0)),
        )
        result = http_result(name, title, ctx, load, TARGET)
        result.compare_latency(ctx.http_floor(1))
        result.extra["path"] = path
        if result.status == "ok":
            result.met = result.latency_ms.get("p95", float("inf")) < 50
        results.append(result)
    return results


def _version(key: str) -> int:
    """The ticket's version, which the page passes to its assign picker."""
    return Ticket.objects.values_list("version", flat=True).get(pk=ticket_id_from_key(key))
