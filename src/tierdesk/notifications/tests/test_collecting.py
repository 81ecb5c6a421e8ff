"""Notifications owed inside a batch are written once, by the block that collects them."""

from __future__ import annotations

import pytest

from tierdesk.notifications import services as notifications
from tierdesk.notifications.models import Notification
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = pytest.mark.django_db


def held(prefix: str):
    return Notification.objects.filter(dedup_key__startswith=prefix)


def test_held_back_notifications_are_written_only_when_the_collecting_block_writes_them(org):
    ticket = create_ticket(NewTicket(title="Mailbox full"), requester=org.requester)
    owed: list[Notification] = []
    with notifications.held_back(owed):
        notifications.queue("sla_breach", ticket, [org.l1_agent], dedup="held:first")
        with notifications.one_write():  # a command's own block joins the outer one
            notifications.queue("sla_breach", ticket, [org.l2_agent], dedup="held:second")
    assert not held("held:").exists()
    assert len(owed) == 2
    with notifications.one_write() as rows:
        rows += owed
        notifications.queue("sla_breach", ticket, [org.lead], dedup="held:third")
    assert sorted(held("held:").values_list("recipient__username", flat=True)) == sorted(
        [org.l1_agent.username, org.l2_agent.username, org.lead.username]
    )


def test_notifications_held_back_by_a_block_that_fails_are_never_written(org):
    ticket = create_ticket(NewTicket(title="Mailbox full"), requester=org.requester)
    owed: list[Notification] = []

    def failing_command() -> None:
        with notifications.held_back(owed):
            notifications.queue("sla_breach", ticket, [org.l1_agent], dedup="failed:first")
            raise RuntimeError("the command failed")

    with pytest.raises(RuntimeError):
        failing_command()
    with notifications.one_write():
        notifications.queue("sla_breach", ticket, [org.l2_agent], dedup="failed:second")
    assert list(held("failed:").values_list("recipient__username", flat=True)) == [
        org.l2_agent.username
    ]
