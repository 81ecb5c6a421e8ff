"""Anyone without the key who edits, deletes or truncates the audit trail is found out."""

from __future__ import annotations

import pytest

from tierdesk.audit.models import ChainHead, Event
from tierdesk.audit.verify import verify
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, add_comment, create_ticket, transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(org):
    ticket = create_ticket(NewTicket(title="Mail down"), requester=org.requester)
    add_comment(ticket, "on it", actor=org.l1_agent)
    transition(ticket, "in_progress", actor=org.l1_agent)
    transition(ticket, "resolved", actor=org.l1_agent)
    create_ticket(NewTicket(title="Other"), requester=org.requester)
    assert verify().ok
    return ticket


def test_an_edited_event_is_named(history):
    event = Event.objects.filter(ticket=history, kind="status_changed").first()
    Event.objects.filter(pk=event.pk).update(after="closed")
    broken = verify().first_break
    assert broken is not None
    assert broken.event_id == event.pk


def test_a_deleted_event_in_the_middle_breaks_the_chain_at_the_next_one(history):
    events = list(Event.objects.filter(ticket=history).order_by("seq"))
    Event.objects.filter(pk=events[1].pk).delete()
    broken = verify().first_break
    assert broken is not None
    assert broken.event_id == events[2].pk


def test_truncating_the_end_of_a_chain_is_detected(history):
    last = Event.objects.filter(ticket=history).order_by("-seq").first()
    Event.objects.filter(pk=last.pk).delete()
    broken = verify().first_break
    assert broken is not None
    assert "head" in broken.reason


def test_rewriting_the_head_to_hide_a_truncation_is_detected(history):
    last = Event.objects.filter(ticket=history).order_by("-seq").first()
    Event.objects.filter(pk=last.pk).delete()
    ChainHead.objects.filter(chain=f"ticket:{history.pk}").update(seq=last.seq - 1)
    assert not verify().ok


def test_deleting_a_whole_chain_is_detected(history):
    Event.objects.filter(ticket=history).delete()
    ChainHead.objects.filter(chain=f"ticket:{history.pk}").delete()
    broken = verify().first_break
    assert broken is not None
    assert broken.chain == f"ticket:{history.pk}"


def test_a_recomputed_hash_without_the_key_does_not_pass(history, settings):
    from tierdesk.audit.chain import GENESIS, canonical, link

    first = Event.objects.filter(ticket=history).order_by("seq").first()
    payload = canonical(
        chain=first.chain,
        seq=first.seq,
        ticket_id=first.ticket_id,
        actor_id=first.actor_id,
        channel=first.channel,
        kind=first.kind,
        field=first.field,
        before=first.before,
        after={"title": "forged"},
        note=first.note,
        data=first.data,
        created_at=first.created_at,
    )
    Event.objects.filter(pk=first.pk).update(
        after={"title": "forged"}, hash=link(b"guessed-key", GENESIS, payload)
    )
    assert verify().first_break.event_id == first.pk
    assert Ticket.objects.count() == 2


def test_rolling_a_head_back_to_an_earlier_events_values_is_detected(history):
    events = list(Event.objects.filter(ticket=history).order_by("seq"))
    Event.objects.filter(pk=events[-1].pk).delete()
    ChainHead.objects.filter(chain=f"ticket:{history.pk}").update(
        seq=events[-2].seq, hash=events[-2].hash
    )
    broken = verify().first_break
    assert broken is not None
    assert "head" in broken.reason


def test_deleting_a_ticket_together_with_its_history_is_detected(history):
    Event.objects.filter(ticket=history).delete()
    ChainHead.objects.filter(chain=f"ticket:{history.pk}").delete()
    Ticket.objects.filter(pk=history.pk).update(title="x")  # the row stays: history gone
    assert not verify().ok


def test_a_history_whose_ticket_row_was_deleted_is_detected(org, history):
    other = Ticket.objects.exclude(pk=history.pk).get()
    from tierdesk.notifications.models import Notification
    from tierdesk.scheduler.models import Timer
    from tierdesk.tickets.models import TierStint

    for model in (TierStint, Timer, Notification):
        model.objects.filter(ticket=other).delete()
    Ticket.objects.filter(pk=other.pk).delete()
    broken = verify().first_break
    assert broken is not None
    assert broken.chain == f"ticket:{other.pk}"
