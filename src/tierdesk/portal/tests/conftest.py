from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tierdesk.accounts.models import User
from tierdesk.org.models import Service
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, create_ticket


@pytest.fixture
def services(db: None) -> list[Service]:
    return [
        Service.objects.create(slug="email", name="Email and calendar"),
        Service.objects.create(slug="vpn", name="VPN and remote access"),
    ]


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    """A browser-like client signed in as ``user`` (CSRF checks on, as in a browser)."""

    def make(user: User) -> Client:
        client = Client(enforce_csrf_checks=True)
        # The stored row, not the factory's object: build_org's factory sets the password
        # after saving, so the in-memory hash would not match the session's.
        client.force_login(User.objects.get(pk=user.pk))
        return client

    return make


@pytest.fixture
def ticket_for(db: None) -> Callable[..., Ticket]:
    def make(requester: User, title: str = "Laptop will not start", **fields: str) -> Ticket:
        return create_ticket(
            NewTicket(title=title, description=fields.pop("description", "It beeps."), **fields),
            requester=requester,
        )

    return make
