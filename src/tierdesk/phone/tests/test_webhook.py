"""The telephony webhook: signed reports of calls, placed on tickets or queued for L1."""

from __future__ import annotations

import time

import pytest
import time_machine

from tierdesk.accounts.models import User
from tierdesk.audit.models import Event
from tierdesk.audit.verify import verify
from tierdesk.phone.models import Call
from tierdesk.phone.tests.conftest import (
    RITA,
    SECRET,
    UNKNOWN,
    call_body,
    open_ticket,
    with_phone,
)
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import add_comment, transition

pytestmark = pytest.mark.django_db
DROP = object()


def call_events(ticket: Ticket) -> list[Event]:
    return list(Event.objects.filter(ticket_id=ticket.pk, kind="call_logged").order_by("seq"))


def test_missed_call_from_a_known_requester_lands_on_their_most_recently_updated_open_ticket(
    org, webhook, api_as
):
    with_phone(org.requester)
    older = open_ticket(org.requester, "VPN drops")
    newer = open_ticket(org.requester, "Printer jams")
    add_comment(older, "Still dropping", actor=org.requester)  # now the most recently updated

    response = webhook.post(call_body(answered=False))

    assert response.status_code == 201, response.content
    call = response.json()["call"]
    assert (call["ticket"], call["outcome"], call["caller"]["username"]) == (
        older.key,
        "added",
        "rita",
    )
    assert call_events(newer) == []
    timeline = api_as(org.l1_agent).get(f"/tickets/{older.key}/events").json()
    logged = [e for e in timeline if e["kind"] == "call_logged"]
    assert len(logged) == 1
    assert logged[0]["note"] == f"Missed call from {RITA}, please call back"
    assert logged[0]["actor"] is None
    assert logged[0]["channel"] == "phone"
    assert logged[0]["data"]["answered"] is False
    assert logged[0]["data"]["duration_seconds"] == 30
    assert verify().ok


def test_requester_never_sees_the_call_events_on_their_ticket(org, webhook, api_as):
    ticket = open_ticket(with_phone(org.requester))
    assert webhook.post(call_body()).status_code == 201
    timeline = api_as(org.requester).get(f"/tickets/{ticket.key}/events").json()
    assert [e for e in timeline if e["kind"] == "call_logged"] == []
    assert "please call back" not in str(timeline)


def test_missed_call_from_an_unknown_number_opens_one_callback_ticket_at_l1(org, webhook, api_as):
    first = webhook.post(call_body(caller=UNKNOWN))
    assert first.status_code == 201, first.content
    assert first.json()["call"]["outcome"] == "callback"
    key = first.json()["call"]["ticket"]
    ticket = api_as(org.l1_agent).get(f"/tickets/{key}").json()
    assert ticket["title"] == "Callback: missed call from +442079460000"
    assert (ticket["type"], ticket["channel"], ticket["team"], ticket["tier"]) == (
        "service_request",
        "phone",
        "service-desk",
        1,
    )
    requester = User.objects.get(username="phone-+442079460000")
    assert (requester.role, requester.email, requester.phone) == ("requester", "", "+442079460000")
    queue = api_as(org.l1_agent).get("/tickets", team="service-desk").json()["items"]
    assert key in [t["key"] for t in queue]

    again = webhook.post(call_body(caller="+44 (20) 7946-0000"))

    assert again.json()["call"]["ticket"] == key
    assert again.json()["call"]["outcome"] == "added"
    assert Ticket.objects.filter(title__startswith="Callback:").count() == 1
    assert len(call_events(Ticket.objects.get(title__startswith="Callback:"))) == 2


def test_missed_call_from_a_known_requester_with_nothing_open_opens_a_callback_for_them(
    org, webhook
):
    with_phone(org.requester)
    done = open_ticket(org.requester)
    transition(done, "resolved", actor=org.lead, note="fixed")

    call = webhook.post(call_body()).json()["call"]

    assert call["outcome"] == "callback"
    assert Ticket.objects.get(pk=int(call["ticket"][3:])).requester == org.requester


def test_missed_call_from_a_number_several_people_share_opens_a_callback_for_the_number(
    org, webhook
):
    with_phone(org.requester)
    with_phone(org.other_requester, RITA)
    open_ticket(org.requester)

    call = webhook.post(call_body()).json()["call"]

    assert call["outcome"] == "callback"
    callback = Ticket.objects.get(pk=int(call["ticket"][3:]))
    assert callback.requester.username == f"phone-{RITA}"


def test_answered_call_from_a_requester_with_exactly_one_open_ticket_is_logged_on_it(org, webhook):
    ticket = open_ticket(with_phone(org.requester))
    call = webhook.post(call_body(answered=True, transcript="Hello, it is Rita")).json()["call"]
    assert (call["ticket"], call["outcome"], call["transcript"]) == (
        ticket.key,
        "added",
        "Hello, it is Rita",
    )
    [event] = call_events(ticket)
    assert event.data["answered"] is True
    assert "transcript" not in event.data


def test_answered_call_from_a_requester_with_two_open_tickets_waits_for_l1_to_attach(
    org, webhook, api_as
):
    with_phone(org.requester)
    first, second = open_ticket(org.requester), open_ticket(org.requester, "Second")
    call = webhook.post(call_body(answered=True)).json()["call"]
    assert (call["ticket"], call["outcome"]) == (None, "unlinked")
    tom = api_as(org.l1_agent)
    assert [c["id"] for c in tom.get("/channels/phone/calls/unlinked").json()] == [call["id"]]

    attached = tom.post(f"/channels/phone/calls/{call['id']}/attach", {"ticket": second.key})

    assert attached.status_code == 200, attached.content
    assert attached.json()["call"]["outcome"] == "attached"
    assert [e.actor_id for e in call_events(second)] == [org.l1_agent.pk]
    assert call_events(first) == []
    assert tom.get("/channels/phone/calls/unlinked").json() == []
    again = tom.post(f"/channels/phone/calls/{call['id']}/attach", {"ticket": first.key})
    assert again.status_code == 409


def test_answered_call_from_an_unknown_number_waits_unlinked_and_creates_nobody(org, webhook):
    users = User.objects.count()
    call = webhook.post(call_body(caller=UNKNOWN, answered=True)).json()["call"]
    assert (call["ticket"], call["outcome"], call["caller"]) == (None, "unlinked", None)
    assert User.objects.count() == users


def test_missed_call_from_a_number_an_administrator_blocked_opens_no_ticket(org, webhook):
    webhook.post(call_body(caller=UNKNOWN))
    User.objects.filter(username="phone-+442079460000").update(is_active=False)
    tickets = Ticket.objects.count()

    call = webhook.post(call_body(caller=UNKNOWN)).json()["call"]

    assert call["outcome"] == "unlinked"
    assert Ticket.objects.count() == tickets


def test_bad_signature_is_refused_with_401_and_writes_nothing(org, webhook):
    body = call_body(caller=UNKNOWN)
    assert webhook.post(body, secret="another-secret-of-some-length").status_code == 401
    assert webhook.post(body, sign="sha256=" + "0" * 64).status_code == 401
    assert webhook.post(body, sign="").status_code == 401
    assert Call.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_stale_or_future_timestamp_is_refused_with_401_even_when_signed(org, webhook):
    # The clock stands still: with a running clock, "now + 301" drifts into the window as
    # soon as a second passes between reading the clock here and the server reading it.
    now = int(time.time())
    with time_machine.travel(now, tick=False):
        stale = webhook.post(call_body(), timestamp=now - 301)
        future = webhook.post(call_body(), timestamp=now + 301)
        oldest = webhook.post(call_body(), timestamp=now - 300)
        newest = webhook.post(call_body(), timestamp=now + 300)
    assert (stale.status_code, future.status_code) == (401, 401)
    assert "replay window" in stale.json()["detail"]
    assert (oldest.status_code, newest.status_code) == (201, 201)


def test_replayed_call_id_returns_the_first_result_and_duplicates_nothing(org, webhook):
    ticket = open_ticket(with_phone(org.requester))
    body = call_body()
    first = webhook.post(body)
    events = Event.objects.count()

    replay = webhook.post(body)
    resent_later = webhook.post(body, timestamp=int(time.time()) - 60)

    assert (first.status_code, replay.status_code, resent_later.status_code) == (201, 200, 200)
    assert replay.json()["replayed"] is True
    assert replay.json()["call"] == first.json()["call"]
    assert Call.objects.count() == 1
    assert Event.objects.count() == events
    assert len(call_events(ticket)) == 1


def test_same_call_id_with_different_call_data_is_a_conflict(org, webhook):
    body = call_body(caller=UNKNOWN)
    assert webhook.post(body).status_code == 201
    clash = webhook.post({**body, "answered": True})
    assert clash.status_code == 409
    assert clash.json()["field"] == "provider_call_id"
    assert Call.objects.count() == 1


def test_the_same_call_id_from_another_provider_is_another_call(org, webhook):
    body = call_body(caller=UNKNOWN, answered=True)
    assert webhook.post(body).status_code == 201
    assert webhook.post({**body, "provider": "backup-trunk"}).status_code == 201
    assert Call.objects.count() == 2


def test_unconfigured_or_weak_secret_answers_503(org, webhook, monkeypatch):
    monkeypatch.delenv("TIERDESK_PHONE_WEBHOOK_SECRET")
    response = webhook.post(call_body())
    assert response.status_code == 503
    assert response.json()["detail"] == "phone webhook not configured"
    monkeypatch.setenv("TIERDESK_PHONE_WEBHOOK_SECRET", "short")
    weak = webhook.post(call_body(), secret="short")
    assert (weak.status_code, weak.json()["detail"]) == (503, "phone webhook not configured")
    assert Call.objects.count() == 0


def test_secret_may_come_from_a_file(org, webhook, monkeypatch, tmp_path):
    secret_file = tmp_path / "phone-secret"
    secret_file.write_text("secret-from-a-mounted-file\n")
    monkeypatch.setenv("TIERDESK_PHONE_WEBHOOK_SECRET_FILE", str(secret_file))
    assert webhook.post(call_body(), secret=SECRET).status_code == 401
    assert webhook.post(call_body(), secret="secret-from-a-mounted-file").status_code == 201
    secret_file.unlink()
    missing = webhook.post(call_body(), secret="secret-from-a-mounted-file")
    assert missing.status_code == 503
    assert str(tmp_path) not in missing.json()["detail"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"caller": DROP}, "caller"),
        ({"caller": "not a number"}, "caller"),
        ({"caller": 4930123}, "caller"),
        ({"callee": "+49 30 " + "1" * 40}, "callee"),
        ({"answered": "yes"}, "answered"),
        ({"started_at": "2025-03-01T10:00:00"}, "started_at"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"ended_at": "2000-01-01T00:00:00+00:00"}, "ended_at"),
        ({"recording_url": "ftp://pbx.example.com/1.wav"}, "recording_url"),
        ({"recording_url": "javascript:alert(1)"}, "recording_url"),
        ({"transcript": "x" * 100_001}, "transcript"),
        ({"provider_call_id": ""}, "provider_call_id"),
        ({"provider_call_id": "id\u0000"}, "provider_call_id"),
        ({"provider": "Not A Slug"}, "provider"),
        ({"transcript": "half a surrogate \ud800"}, "transcript"),
    ],
)
def test_malformed_body_is_422_naming_the_field_and_writes_nothing(org, webhook, changes, field):
    body = {k: v for k, v in {**call_body(caller=UNKNOWN), **changes}.items() if v is not DROP}
    response = webhook.post(body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert Call.objects.count() == 0
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"[" * 5000])
def test_body_that_is_not_a_json_object_is_422_naming_the_body(org, webhook, raw):
    response = webhook.post(raw)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "body"


def test_oversized_body_is_refused_with_413(org, webhook):
    body = call_body(transcript="x" * 1_000_001)
    assert webhook.post(body).status_code == 413


def test_a_duplicate_that_races_past_the_lookup_is_stopped_by_the_unique_index(
    org, webhook, monkeypatch
):
    """Two deliveries of one call on two workers: the second looked before the first
    committed, so only the unique index can stop it — and it then replays the first."""
    from tierdesk.phone import provider

    body = call_body(caller=UNKNOWN)
    first = webhook.post(body)
    real_find = provider._find
    looks = []

    def find_missing_the_first_time(*args):
        looks.append(args)
        return None if len(looks) == 1 else real_find(*args)

    monkeypatch.setattr(provider, "_find", find_missing_the_first_time)
    second = webhook.post(body)

    assert len(looks) == 2
    assert second.status_code == 200, second.content
    assert second.json()["call"] == first.json()["call"]
    assert Call.objects.count() == 1
    assert Ticket.objects.count() == 1
