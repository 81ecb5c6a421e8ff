"""Bearer tokens: every request sees the token's and its owner's state as it is now."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tierdesk.accounts.models import ApiToken
from tierdesk.accounts.tokens import authenticate, create_token, revoke

pytestmark = pytest.mark.django_db


def test_a_live_token_gives_its_owner_as_a_whole_user(org):
    token = create_token(org.l1_agent)
    user = authenticate(token)
    assert user == org.l1_agent
    assert (user.role, user.username, user.organisation_id) == (
        org.l1_agent.role,
        org.l1_agent.username,
        org.l1_agent.organisation_id,
    )


def test_a_token_with_the_right_prefix_and_a_wrong_secret_is_refused(org):
    token = create_token(org.l1_agent)
    assert authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert authenticate("td_" + "0" * 12 + "_whatever") is None


def test_revoking_expiring_or_deactivating_refuses_the_very_next_request(org):
    token = create_token(org.l1_agent, expires_at=timezone.now() + timedelta(hours=1))
    assert authenticate(token) == org.l1_agent

    org.l1_agent.is_active = False
    org.l1_agent.save(update_fields=["is_active"])
    assert authenticate(token) is None
    org.l1_agent.is_active = True
    org.l1_agent.save(update_fields=["is_active"])
    assert authenticate(token) == org.l1_agent

    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert authenticate(token) is None

    revoke(token.split("_")[1])
    assert authenticate(token) is None


def test_use_is_recorded_at_most_once_per_five_minutes_and_checking_is_one_query(org):
    token = create_token(org.l1_agent)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with CaptureQueriesContext(connection) as first:
            authenticate(token)
        with CaptureQueriesContext(connection) as again:
            authenticate(token)
    assert len(first.captured_queries) == 2  # the check, and recording the first use
    assert len(again.captured_queries) == 1
    assert ApiToken.objects.get().last_used_at == start

    with time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False):
        authenticate(token)
    assert ApiToken.objects.get().last_used_at == start + timedelta(minutes=5, seconds=1)
