"""Who is on a team, as the commands that notify a team read it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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
