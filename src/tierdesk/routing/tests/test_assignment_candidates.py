"""Candidates read before a ticket's transaction never hand it to someone who left meanwhile."""

from __future__ import annotations

import pytest

from tierdesk.accounts.models import User
from tierdesk.org.models import AssignmentStrategy
from tierdesk.routing.assignment import candidates, pick_assignee
from tierdesk.testing import member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "strategy", [AssignmentStrategy.ROUND_ROBIN, AssignmentStrategy.LEAST_LOADED]
)
def test_a_member_who_went_off_shift_after_the_read_is_not_chosen(org, strategy):
    desk = org.service_desk
    desk.assignment_strategy = strategy
    desk.save()
    read_before = candidates(desk)
    first = pick_assignee(desk, people=read_before)
    assert first is not None
    User.objects.filter(pk=first.pk).update(on_shift=False)
    desk.refresh_from_db()

    again = pick_assignee(desk, people=read_before)
    assert again is not None
    assert again.pk != first.pk
    assert again.on_shift  # a whole user, not the id-only candidate
    assert again.username


def test_someone_on_shift_gets_the_ticket_when_nobody_was_at_the_read(org):
    desk = org.service_desk
    desk.assignment_strategy = AssignmentStrategy.ROUND_ROBIN
    desk.save()
    User.objects.filter(memberships__team=desk).update(on_shift=False)
    read_before = candidates(desk)
    assert read_before == []
    arrived = member(desk, username="arrived")

    assert pick_assignee(desk, people=read_before) == arrived
