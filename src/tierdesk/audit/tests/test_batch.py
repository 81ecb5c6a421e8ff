"""Events written for many chains at once are the events a trail would write one by one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction

from tierdesk.audit.batch import flush_many
from tierdesk.audit.models import ChainHead, Event
from tierdesk.audit.services import AuditTrail

pytestmark = pytest.mark.django_db
AT = datetime(2025, 6, 2, 9, 0, 0, 123456, tzinfo=UTC)


def trails() -> list[AuditTrail]:
    """Two chains, one with a head already and one new, the first given in two parts."""
    first = AuditTrail(chain="ticket:1", actor_id=None, channel="system", at=AT, ticket_id=1)
    first.add("sla_breached", field="first_response", data={"due_at": AT.isoformat()})
    second = AuditTrail(chain="ticket:2", actor_id=7, channel="system", at=AT, ticket_id=2)
    second.add("hierarchy_notified", data={"step": 0, "recipients": ["lead", "ölaf"]})
    second.add("sla_warning", field="resolution", before=None, after=75, note="ä ✓")
    more = AuditTrail(chain="ticket:1", actor_id=None, channel="system", at=AT, ticket_id=1)
    more.add("sla_breached", field="resolution", data={"due_at": None})
    return [first, second, more]


def written() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    events = Event.objects.order_by("chain", "seq").values_list(
        "chain", "seq", "kind", "prev_hash", "hash"
    )
    heads = ChainHead.objects.order_by("chain").values_list("chain", "seq", "hash", "mac")
    return list(events), list(heads)


class Undo(Exception):
    pass


def test_a_batch_writes_the_same_chain_as_one_trail_at_a_time():
    opening = AuditTrail(chain="ticket:1", actor_id=None, channel="api", at=AT, ticket_id=1)
    opening.add("created")
    with transaction.atomic():
        opening.flush()
    one_by_one = None
    try:
        with transaction.atomic():
            for trail in trails():
                trail.flush()
            one_by_one = written()
            raise Undo
    except Undo:
        pass
    with transaction.atomic():
        flush_many(trails())
    assert one_by_one is not None
    assert written() == one_by_one
    events, heads = one_by_one
    assert [seq for chain, seq, *_ in events if chain == "ticket:1"] == [1, 2, 3]
    assert [(chain, seq) for chain, seq, *_ in heads] == [("ticket:1", 3), ("ticket:2", 2)]
