"""Whatever a signed sender or a logged-in agent posts, the phone channel answers without a 500."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tierdesk.phone.tests.conftest import RITA, call_body, with_phone

pytestmark = pytest.mark.django_db
EXPECTED = {200, 201, 409, 413, 422}
FUZZ = settings(
    database=None,
    max_examples=120,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60),
    st.sampled_from(
        ["", "+", "+49 30 1234567", "0", "anonymous", "2025-01-01T00:00:00+00:00", "\x00", "\ud800"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
moments = st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())


def webhook_bodies() -> st.SearchStrategy[bytes]:
    fields = st.fixed_dictionaries(
        {},
        optional={
            "caller": st.one_of(json_values, st.sampled_from([RITA, "+44 20 7946 0000"])),
            "callee": json_values,
            "started_at": st.one_of(json_values, moments),
            "ended_at": st.one_of(json_values, moments),
            "answered": json_values,
            "provider_call_id": st.one_of(json_values, st.text(min_size=1, max_size=8)),
            "provider": json_values,
            "recording_url": st.one_of(json_values, st.just("https://pbx.example.com/r/1.wav")),
            "transcript": json_values,
        },
    )
    near_valid = st.builds(
        lambda changes: {**call_body(), **changes},
        st.dictionaries(
            st.sampled_from(["caller", "callee", "started_at", "ended_at", "answered", "provider"]),
            json_values,
            max_size=2,
        ),
    )
    as_json = st.one_of(fields, near_valid, json_values).map(
        lambda value: json.dumps(value, allow_nan=True).encode()
    )
    return st.one_of(as_json, st.binary(max_size=200))


@FUZZ
@given(raw=webhook_bodies())
def test_arbitrary_signed_webhook_bodies_never_cause_a_server_error(org, webhook, raw):
    with_phone(org.requester)
    response = webhook.post(raw)
    assert response.status_code in EXPECTED, (raw, response.content)
    assert response["Content-Type"].startswith("application/json")


log_values = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "caller": st.one_of(json_values, st.just(RITA)),
            "direction": st.one_of(json_values, st.sampled_from(["inbound", "outbound"])),
            "started_at": st.one_of(json_values, moments),
            "ended_at": st.one_of(json_values, moments),
        },
        optional={
            "notes": json_values,
            "ticket": st.one_of(json_values, st.just("TD-1")),
            "requester": json_values,
            "new_ticket": st.one_of(json_values, st.just({"title": "Help"})),
        },
    ),
)


@FUZZ
@given(
    # Encoded here, not by the test client: it sends a top-level str as it is, and a lone
    # surrogate ("\ud800", one of the scalars) then breaks the client before any request.
    raw=st.one_of(log_values.map(lambda value: json.dumps(value).encode()), st.binary(max_size=200))
)
@example(raw=json.dumps("\ud800").encode())
def test_arbitrary_log_requests_never_cause_a_server_error(org, api_as, raw):
    response = api_as(org.l1_agent).post("/channels/phone/log", raw)
    # 400: ninja refuses a body that is not JSON before the route runs.
    assert response.status_code in {201, 400, 403, 404, 409, 422}, (raw, response.content)


def test_the_fuzzers_reach_the_success_path(org, webhook, api_as):
    """Guard against fuzzers that only ever exercise refusals."""
    with_phone(org.requester)
    assert webhook.post(json.dumps(call_body()).encode()).status_code == 201
    now = timezone.now()
    body = {
        "caller": RITA,
        "direction": "inbound",
        "started_at": (now - timedelta(minutes=2)).isoformat(),
        "ended_at": now.isoformat(),
        "new_ticket": {"title": "Help"},
    }
    assert api_as(org.l1_agent).post("/channels/phone/log", body).status_code == 201
