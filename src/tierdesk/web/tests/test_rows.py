"""Queue rows are written in Python exactly as the row template they replace wrote them."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import timezone

from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import assign
from tierdesk.web.rows import rows_for

pytestmark = pytest.mark.django_db

# The template each row was an include of, kept here as the specification of its markup.
ROW_TEMPLATE = Template(
    """<tr>
  {% if selectable %}<td><input type="checkbox" name="keys" value="{{ row.ticket.key }}:{{ row.ticket.version }}" id="pick-{{ row.ticket.pk }}" aria-label="Select {{ row.ticket.key }}"></td>{% endif %}
  <td class="key"><a href="{{ row.url }}">{{ row.ticket.key }}</a></td>
  <td class="title">{{ row.ticket.title }}</td>
  <td><span class="badge prio-{{ row.ticket.priority }}">{{ row.ticket.priority }}</span></td>
  <td class="nowrap">{{ row.ticket.get_status_display }}</td>
  <td class="team">{% if row.ticket.tier %}L{{ row.ticket.tier }} · {% endif %}{{ row.ticket.team.name }}</td>
  <td>{% if row.ticket.assignee %}{{ row.ticket.assignee.display_name }}{% else %}<span class="muted">Unassigned</span>{% endif %}</td>
  <td>{{ row.ticket.requester.display_name }}</td>
  <td class="nowrap"><time datetime="{{ row.opened_at }}" title="{{ row.opened_title }}">{{ row.age }}</time></td>
  {% with clock=row.ola %}<td><span class="sla {{ clock.css }}"{% if clock.due_at %} title="{{ clock.title }}"{% endif %}>{{ clock.text }}</span></td>{% endwith %}
  {% with clock=row.sla %}<td><span class="sla {{ clock.css }}"{% if clock.due_at %} title="{{ clock.title }}"{% endif %}>{{ clock.text }}</span></td>{% endwith %}
</tr>
"""  # noqa: E501
)


@pytest.mark.parametrize("selectable", [True, False])
def test_a_row_is_the_markup_of_the_row_template(org, open_ticket, selectable) -> None:
    hostile = open_ticket(title='<script>alert("x")</script> & "quotes" \u202e')
    plain = open_ticket(title="VPN drops")
    assign(plain, org.l1_agent, actor=org.lead)
    tickets = list(
        Ticket.objects.select_related("team", "assignee", "requester").filter(
            pk__in=[hostile.pk, plain.pk]
        )
    )
    for row in rows_for(tickets, timezone.now(), selectable=selectable):
        expected = ROW_TEMPLATE.render(Context({"row": row, "selectable": selectable}))
        assert row.html == expected
    [hostile_row] = rows_for([t for t in tickets if t.pk == hostile.pk], timezone.now())
    assert "&lt;script&gt;alert(&quot;x&quot;)" in hostile_row.html
