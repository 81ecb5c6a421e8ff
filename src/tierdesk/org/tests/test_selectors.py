"""Who is on a team, as the commands that notify a team read it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tierdesk.accounts.models import Role
from tierdesk.org.selectors import team_members, team_members_read_once
from tierdesk.testing import member

pytestmark = pytest.mark.django_db


def test_a_team_is_read_once_inside_a_batch_and_afresh_outside_it(org):
    l2 = org.l2
    with CaptureQueriesContext(connection) as batch, team_members_read_once():
        first = team_members(l2.pk)
        first.clear()  # a caller's own list: clearing it leaves the batch's copy alone
        again = team_members(l2.pk)
    assert len(batch.captured_queries) == 1
    assert org.l2_agent in again

    newcomer = member(l2, username="newcomer")
    with CaptureQueriesContext(connection) as outside:
        assert newcomer in team_members(l2.pk)
        team_members(l2.pk)
    assert len(outside.captured_queries) == 2


def test_a_teams_members_are_its_active_staff_in_a_batch_and_outside_it(org):
    l2 = org.l2
    gone = member(l2, username="gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    member(l2, role=Role.REQUESTER, username="customer-in-l2")
    resting = member(l2, username="resting")
    resting.on_shift = False  # off shift is still a member: told, though not assigned
    resting.save(update_fields=["on_shift"])

    outside = [user.username for user in team_members(l2.pk)]
    with team_members_read_once():
        inside = [user.username for user in team_members(l2.pk)]

    assert outside == inside == [org.l2_agent.username, "resting"]  # by id
