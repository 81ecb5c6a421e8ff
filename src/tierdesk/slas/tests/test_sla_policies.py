"""SLA policies on real tickets: priority matrix, most specific policy, business hours."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
import time_machine

from tierdesk.org.models import BusinessCalendar, DeskPolicy, RequesterOrganisation
from tierdesk.slas import clock
from tierdesk.slas.models import SlaPolicy
from tierdesk.tickets.priority import derive_priority
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = pytest.mark.django_db
BERLIN_OFFICE = {
    "time_zone": "Europe/Berlin",
    "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
}


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        ("high", "high", "P1"),
        ("high", "medium", "P2"),
        ("medium", "high", "P2"),
        ("high", "low", "P3"),
        ("medium", "medium", "P3"),
        ("low", "high", "P3"),
        ("medium", "low", "P4"),
        ("low", "medium", "P4"),
        ("low", "low", "P5"),
    ],
)
def test_the_default_itil_matrix(db, impact, urgency, priority):
    assert derive_priority(impact, urgency) == priority


def test_a_configured_matrix_replaces_the_default(org):
    matrix = {i: dict.fromkeys(("high", "medium", "low"), "P1") for i in ("high", "medium", "low")}
    DeskPolicy.objects.create(key="priority_matrix", value=matrix)
    assert (
        create_ticket(
            NewTicket(title="x", impact="low", urgency="low"), requester=org.requester
        ).priority
        == "P1"
    )


def test_business_hours_clock_runs_across_a_weekend_and_a_dst_change(org):
    calendar = BusinessCalendar.objects.create(slug="berlin", name="Berlin", spec=BERLIN_OFFICE)
    SlaPolicy.objects.create(
        name="P3 office",
        priority="P3",
        first_response_minutes=60,
        resolution_minutes=4 * 60,
        calendar=calendar,
    )
    # Fri 2025-03-28 16:00 CET; clocks go forward on Sunday.
    with time_machine.travel(datetime(2025, 3, 28, 15, 0, tzinfo=UTC), tick=False):
        ticket = create_ticket(NewTicket(title="x"), requester=org.requester)
    assert ticket.resolution_due_at == datetime(2025, 3, 31, 10, 0, tzinfo=UTC)
    assert ticket.first_response_due_at == datetime(2025, 3, 28, 16, 0, tzinfo=UTC)
    assert ticket.sla_snapshot["calendar"]["time_zone"] == "Europe/Berlin"


def test_the_most_specific_policy_wins_and_p1_runs_around_the_clock(org):
    finance = RequesterOrganisation.objects.create(slug="finance", name="Finance")
    org.requester.organisation = finance
    org.requester.save()
    SlaPolicy.objects.create(
        name="all P3", priority="P3", first_response_minutes=60, resolution_minutes=600
    )
    SlaPolicy.objects.create(
        name="finance P3",
        priority="P3",
        requester_organisation=finance,
        first_response_minutes=30,
        resolution_minutes=300,
    )
    ticket = create_ticket(NewTicket(title="x"), requester=org.requester)
    assert ticket.sla_snapshot["policy"] == "finance P3"
    assert ticket.requester_organisation == finance
    p1 = create_ticket(
        NewTicket(title="x", impact="high", urgency="high"), requester=org.other_requester
    )
    assert p1.sla_snapshot["calendar"] is None
    assert p1.major_incident


def test_an_admin_edit_of_the_policy_changes_new_tickets_only(org):
    policy = SlaPolicy.objects.create(
        name="P3", priority="P3", first_response_minutes=60, resolution_minutes=600
    )
    before = create_ticket(NewTicket(title="x"), requester=org.requester)
    policy.resolution_minutes = 60
    policy.save()
    before.refresh_from_db()
    assert before.sla_snapshot["resolution_seconds"] == 600 * 60
    after = create_ticket(NewTicket(title="y"), requester=org.requester)
    assert after.sla_snapshot["resolution_seconds"] == 60 * 60


def test_a_calendar_changed_in_place_is_read_afresh_by_the_clock():
    """Parsed calendars are remembered by their spec's value, not by the dict that held it."""
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    spec: dict[str, object] = {
        "time_zone": "UTC",
        "hours": {day: ["09:00-17:00"] for day in weekdays},
        "holidays": None,
        "closed_dates": [],
        "always_open": False,
    }
    running = clock.new_clock(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))  # a Monday
    assert clock.due_after(running, spec, 3600) == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    spec["hours"] = {day: ["09:00-16:30"] for day in weekdays}
    assert clock.due_after(running, spec, 3600) == datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    assert clock.due_after(running, copy.deepcopy(spec), 3600) == datetime(
        2026, 3, 3, 9, 30, tzinfo=UTC
    )


def test_a_desk_with_more_calendars_than_the_clock_remembers_keeps_each_ones_hours():
    monday_four_pm = clock.new_clock(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    for closing in range(clock.KNOWN_CALENDARS + 4):
        spec = {
            "time_zone": "UTC",
            "hours": {"mon": [f"09:00-17:{closing:02d}"]},
            "holidays": None,
            "closed_dates": [],
            "always_open": False,
        }
        expected = datetime(2026, 3, 2, 17, closing, tzinfo=UTC)
        assert clock.due_after(monday_four_pm, spec, 3600 + 60 * closing) == expected
