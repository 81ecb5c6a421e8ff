"""How long each team held a ticket: the seconds a closed stay keeps feed the OLA and cost
reports, so they must be what the clock says, to the second, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tierdesk.core.rows import build, insert_many
from tierdesk.tickets.models import TierStint
from tierdesk.tickets.services import NewTicket, create_ticket
from tierdesk.tickets.services._common import end_stint

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def open_stay(ticket, started: datetime) -> TierStint:
    stay = build(TierStint, ticket=ticket, team=ticket.team, tier=ticket.tier, started_at=started)
    insert_many([stay])
    return TierStint.objects.filter(ticket=ticket).latest("pk")


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60, deadline=None
)
@given(
    started=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    elapsed=st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=400)),
)
@example(started=NOON.replace(microsecond=999_999), elapsed=timedelta(microseconds=1))
@example(started=NOON.replace(microsecond=500_000), elapsed=timedelta(seconds=1800))
@example(
    started=NOON.replace(microsecond=500_000), elapsed=timedelta(seconds=1799, microseconds=999_999)
)
@example(started=NOON, elapsed=timedelta(seconds=5, microseconds=999_600))
@example(started=NOON.replace(microsecond=999_999), elapsed=timedelta(seconds=1, microseconds=1))
@example(started=NOON, elapsed=timedelta(microseconds=-1))
@example(started=NOON, elapsed=timedelta(0))
def test_a_closed_stay_keeps_its_whole_seconds(org, started, elapsed):
    ticket = create_ticket(NewTicket(title="Printer jammed"), requester=org.requester)
    stay = open_stay(ticket, started)
    ended = started + elapsed
    expected = max(0, int(elapsed.total_seconds()))

    assert end_stint(ticket, ended) == expected
    stay.refresh_from_db()
    assert (stay.ended_at, stay.seconds) == (ended, expected)


def test_only_the_latest_open_stay_is_closed_and_none_is_no_time(org):
    ticket = create_ticket(NewTicket(title="Printer jammed"), requester=org.requester)
    first = TierStint.objects.get(ticket=ticket)
    latest = open_stay(ticket, first.started_at + timedelta(minutes=5))

    assert end_stint(ticket, first.started_at + timedelta(minutes=65)) == 3600
    first.refresh_from_db()
    latest.refresh_from_db()
    assert (first.ended_at, latest.seconds) == (None, 3600)
    TierStint.objects.filter(ticket=ticket).update(ended_at=NOON, seconds=0)
    assert end_stint(ticket, NOON) == 0
