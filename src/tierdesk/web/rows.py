"""Queue rows: a ticket with its texts ready, written as a table row in Python.

A queue page shows fifty rows (a hundred with "falls due soon"); as a template include per
row they were the larger half of the page's time. ``Row.html`` writes the same markup with
the same escaping as the template it replaces (a test holds it to that).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe

from tierdesk.accounts.models import PERSON_NAME
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.models.enums import STATUS_LABELS
from tierdesk.web.clocks import ClockView, age, ola_clock, sla_clock

# The columns a row shows and its clocks read: a queue page loads only these, not every
# column of each ticket and of its team and people.
COLUMNS = (
    "title",
    "priority",
    "status",
    "tier",
    "version",
    "created_at",
    "sla_snapshot",
    "resolution_due_at",
    "resolution_breached",
    "ola_due_at",
    "ola_breached",
    "team__name",
    *(f"{person}__{name}" for person in ("assignee", "requester") for name in PERSON_NAME),
)


@dataclass(frozen=True)
class Row:
    """A queue row with its texts ready: every template lookup and filter costs more than the
    same work done once here."""

    ticket: Ticket
    sla: ClockView
    ola: ClockView
    age: str
    url: str
    opened_at: str  # ISO 8601, for <time datetime>
    opened_title: str
    selectable: bool = True  # a checkbox for bulk actions

    @property
    def html(self) -> SafeString:
        t, e = self.ticket, _escape
        checkbox = (
            f'<td><input type="checkbox" name="keys" value="{e(t.key)}:{t.version}"'
            f' id="pick-{t.pk}" aria-label="Select {e(t.key)}"></td>'
        )
        cells = [checkbox if self.selectable else ""]
        tier = f"L{t.tier} · " if t.tier else ""
        assignee = (
            e(t.assignee.display_name) if t.assignee else '<span class="muted">Unassigned</span>'
        )
        cells += [
            f'<td class="key"><a href="{e(self.url)}">{e(t.key)}</a></td>',
            f'<td class="title">{e(t.title)}</td>',
            f'<td><span class="badge prio-{e(t.priority)}">{e(t.priority)}</span></td>',
            f'<td class="nowrap">{e(STATUS_LABELS.get(t.status, t.status))}</td>',
            f'<td class="team">{tier}{e(t.team.name)}</td>',
            f"<td>{assignee}</td>",
            f"<td>{e(t.requester.display_name)}</td>",
            f'<td class="nowrap"><time datetime="{e(self.opened_at)}"'
            f' title="{e(self.opened_title)}">{e(self.age)}</time></td>',
            _clock_cell(self.ola),
            _clock_cell(self.sla),
        ]
        return mark_safe("<tr>\n  " + "\n  ".join(cells) + "\n</tr>\n")


def _escape(value: object) -> str:
    """``conditional_escape``'s text without its cost: a row escapes some twenty values, and
    the lazy-text wrapper around Django's ``escape`` took longer than ``html.escape`` itself,
    which is what it calls."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def _clock_cell(clock: ClockView) -> str:
    e = _escape
    title = f' title="{e(clock.title)}"' if clock.due_at else ""
    return f'<td><span class="sla {e(clock.css)}"{title}>{e(clock.text)}</span></td>'


def rows_for(tickets: list[Ticket], now: datetime, *, selectable: bool = True) -> list[Row]:
    rows = []
    link = _ticket_link()
    for t in tickets:
        opened = timezone.localtime(t.created_at)
        rows.append(
            Row(
                t,
                sla_clock(t, now),
                ola_clock(t, now),
                age(t.created_at, now),
                link(t.key),
                opened.isoformat(),
                f"Opened {opened:%Y-%m-%d %H:%M}",
                selectable,
            )
        )
    return rows


def _ticket_link() -> Callable[[str], str]:
    """``reverse("ticket", args=[key])`` for a page's rows: the URL resolver is asked once,
    not per row (it was a third of building the rows). A key is quoted as the resolver
    quotes it; one the route would refuse (a slash) still goes to the resolver, which says
    so. The route ends with the key (test_row_links holds both to the same answers)."""
    prefix = reverse("ticket", args=["0"])[:-1]

    def link(key: str) -> str:
        if not key or "/" in key:
            return reverse("ticket", args=[key])
        return prefix + quote(key, safe=RFC3986_SUBDELIMS + "/~:@")

    return link
