"""Queue rows: a ticket with its texts ready, written as a table row in Python.

A queue page shows fifty rows (a hundred with "falls due soon"); as a template include per
row they were the larger half of the page's time. ``Row.html`` writes the same markup with
the same escaping as the template it replaces (a test holds it to that).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from tierdesk.tickets.models import Ticket
from tierdesk.web.clocks import ClockView, age, ola_clock, sla_clock


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
        t, e = self.ticket, conditional_escape
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
            f'<td class="nowrap">{e(t.get_status_display())}</td>',
            f'<td class="team">{tier}{e(t.team.name)}</td>',
            f"<td>{assignee}</td>",
            f"<td>{e(t.requester.display_name)}</td>",
            f'<td class="nowrap"><time datetime="{e(self.opened_at)}"'
            f' title="{e(self.opened_title)}">{e(self.age)}</time></td>',
            _clock_cell(self.ola),
            _clock_cell(self.sla),
        ]
        return mark_safe("<tr>\n  " + "\n  ".join(cells) + "\n</tr>\n")


def _clock_cell(clock: ClockView) -> str:
    e = conditional_escape
    title = f' title="{e(clock.title)}"' if clock.due_at else ""
    return f'<td><span class="sla {e(clock.css)}"{title}>{e(clock.text)}</span></td>'


def rows_for(tickets: list[Ticket], now: datetime, *, selectable: bool = True) -> list[Row]:
    rows = []
    for t in tickets:
        opened = timezone.localtime(t.created_at)
        rows.append(
            Row(
                t,
                sla_clock(t, now),
                ola_clock(t, now),
                age(t.created_at, now),
                reverse("ticket", args=[t.key]),
                opened.isoformat(),
                f"Opened {opened:%Y-%m-%d %H:%M}",
                selectable,
            )
        )
    return rows
