from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tierdesk.accounts.models import User
from tierdesk.testing import Org
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, create_ticket


@pytest.fixture
def client_as(db: None) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        # Reload: build_org's factory sets passwords in memory only, and the session hash
        # must match the stored one.
        client.force_login(User.objects.get(pk=user.pk))
        return client

    return make


@pytest.fixture
def open_ticket(org: Org) -> Callable[..., Ticket]:
    """A ticket opened by a requester through the real command."""

    def make(
        title: str = "VPN drops every hour", requester: User | None = None, **fields: str
    ) -> Ticket:
        return create_ticket(
            NewTicket(
                title=title,
                description=fields.pop("description", "It drops."),
                channel="portal",
                **fields,
            ),
            requester=requester or org.requester,
        )

    return make
