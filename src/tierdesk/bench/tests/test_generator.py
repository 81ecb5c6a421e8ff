"""The generator: valid audit chains, a tenth of the work open, escalation through tiers."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tierdesk.accounts import policy
from tierdesk.accounts.models import Role, User
from tierdesk.audit.models import Event
from tierdesk.audit.verify import verify
from tierdesk.bench.fastcal import Timeline
from tierdesk.bench.generator import generate
from tierdesk.escalations.models import Escalation
from tierdesk.scheduler.models import Timer
from tierdesk.slas.calendar import BusinessCalendar, add_business_seconds, business_seconds_between
from tierdesk.tickets.models import OpenTicketCount, Participation, Ticket, TierStint
from tierdesk.tickets.models.enums import OPEN_STATUSES
from tierdesk.tickets.opencounts import visible_open_counts

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_generated_history_passes_the_audit_verification():
    outcome = generate(300, seed=3, workers=1, now=NOW)

    report = verify()
    assert report.ok, report.first_break
    assert report.events == Event.objects.count()
    ticket_events = Event.objects.filter(chain__startswith="ticket:")
    assert ticket_events.count() == outcome.rows["events"]
    assert ticket_events.values("chain").distinct().count() == Ticket.objects.count() == 300
    # Every ticket has at least its "created" event, and more of its story than that.
    assert outcome.rows["events"] > 4 * 300


@pytest.mark.django_db
def test_a_tenth_of_generated_tickets_are_open_with_timers_for_their_running_clocks():
    outcome = generate(1000, seed=5, workers=1, now=NOW)

    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
    assert 0.06 <= open_tickets.count() / 1000 <= 0.15
    assert outcome.open_tickets == open_tickets.count()
    timed = set(Timer.objects.values_list("ticket_id", flat=True))
    running = set(open_tickets.filter(sla_paused_at__isnull=True).values_list("pk", flat=True))
    assert timed & running, "open tickets with running clocks need timers"
    assert Timer.objects.filter(due_at__lte=NOW).count() == 0, "nothing may be overdue"
    stray = Timer.objects.exclude(ticket__status__in=[*OPEN_STATUSES, "resolved"])
    assert not stray.exists()


@pytest.mark.django_db
def test_most_tickets_stay_at_l1_fewer_reach_l2_and_few_reach_l3():
    generate(1000, seed=8, workers=1, now=NOW)

    reached_l2 = set(Escalation.objects.filter(to_tier=2).values_list("ticket_id", flat=True))
    reached_l3 = set(Escalation.objects.filter(to_tier=3).values_list("ticket_id", flat=True))
    entered_l1 = Ticket.objects.filter(stints__tier=1).distinct().count()
    assert entered_l1 > len(reached_l2) > len(reached_l3) > 0
    assert len(reached_l2) / entered_l1 < 0.4
    # One stint per stay: the first team, plus one per hop.
    assert TierStint.objects.count() == Ticket.objects.count() + Escalation.objects.count()
    assert not Escalation.objects.filter(seconds_at_previous__lt=0).exists()


def test_table_calendar_gives_the_same_due_times_as_the_calendar_module():
    calendar = BusinessCalendar.from_spec(
        {
            "time_zone": "Europe/Berlin",
            "hours": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": {"country": "DE", "subdivision": "BE"},
        }
    )
    start = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    timeline = Timeline(calendar, start, start + 60 * 86_400)
    rng = random.Random(11)
    for _ in range(300):
        moment = start + rng.randrange(40 * 86_400)
        seconds = rng.choice((0, 1, 900, 3600, 8 * 3600, 3 * 8 * 3600 + 17))
        expected = add_business_seconds(calendar, datetime.fromtimestamp(moment, UTC), seconds)
        assert timeline.add(moment, seconds) == int(expected.timestamp())
        later = moment + rng.randrange(5 * 86_400)
        assert timeline.between(moment, later) == business_seconds_between(
            calendar, datetime.fromtimestamp(moment, UTC), datetime.fromtimestamp(later, UTC)
        )
    outside = start + 90 * 86_400  # beyond the table: answered by the calendar module
    assert timeline.add(outside, 3600) == int(
        add_business_seconds(calendar, datetime.fromtimestamp(outside, UTC), 3600).timestamp()
    )
    assert timedelta(seconds=timeline.between(start, start + 7 * 86_400)) == timedelta(hours=40)


@pytest.mark.django_db
def test_generated_counts_and_participation_copies_are_what_the_triggers_keep():
    generate(400, seed=11, workers=1, now=NOW)

    copies = Participation.objects.select_related("ticket")
    assert copies.exists()
    for p in copies:
        t = p.ticket
        copied = (p.ticket_team_id, p.ticket_tier, p.ticket_security, p.ticket_open)
        is_open = t.status in OPEN_STATUSES
        assert copied == (t.team_id, t.tier, t.type == "security_incident", is_open), p.pk
    stored = Counter()
    for team_id, tier, delta in OpenTicketCount.objects.values_list("team_id", "tier", "delta"):
        stored[(team_id, tier)] += delta
    counted = Ticket.objects.filter(status__in=OPEN_STATUSES).values_list("team_id", "tier")
    assert stored == Counter(counted)
    agents = User.objects.filter(role=Role.AGENT, is_active=True).order_by("pk")[:5]
    for agent in agents:
        visible = policy.visible_tickets(agent).filter(status__in=OPEN_STATUSES)
        assert visible_open_counts(agent) == Counter(visible.values_list("team_id", "tier"))
