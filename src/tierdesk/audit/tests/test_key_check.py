"""A process can tell whether its audit key is the one the database's chains carry."""

from __future__ import annotations

import pytest

from tierdesk.audit.models import ChainHead
from tierdesk.audit.services import key_signs_this_database
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = pytest.mark.django_db


def test_an_empty_desk_takes_any_key() -> None:
    assert not ChainHead.objects.exists()
    assert key_signs_this_database(b"any key at all")


def test_only_the_key_the_chains_were_written_with_signs_the_database(org) -> None:
    create_ticket(NewTicket(title="Printer jam"), requester=org.requester)
    assert key_signs_this_database()
    assert not key_signs_this_database(b"another installation's key")
