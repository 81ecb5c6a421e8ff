"""The verifier rebuilds each payload from stored column text; it must hash exactly what
``canonical`` hashed when the event was written, or good history would look forged."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.db.models import JSONField
from django.utils.dateparse import parse_datetime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierdesk.audit.chain import canonical_json_column, encode_json, epoch_micros, link_pads
from tierdesk.audit.models import ChainHead, Event
from tierdesk.audit.services import AuditTrail
from tierdesk.audit.verify import verify
from tierdesk.audit.walk import _hashed_micros, sqlite_text_micros

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
stored_texts = st.one_of(
    st.builds(
        json.dumps,
        json_values,
        ensure_ascii=st.booleans(),
        sort_keys=st.booleans(),
        separators=st.sampled_from([None, (",", ":"), (", ", ": ")]),
    ),
    st.text(),  # not JSON at all: Django keeps such text as a string
    st.sampled_from(["-0", "1e3", "0123", ' "x"', '"a\\u00e9"', "[1, 2]", "00", "-"]),
)


@given(stored_texts)
def test_a_json_column_encodes_as_what_django_loads_from_it(text):
    loaded = JSONField().from_db_value(text, None, connection)
    assert canonical_json_column(text) == encode_json(loaded)


def test_a_null_json_column_encodes_as_null():
    assert canonical_json_column(None) == encode_json(None)


@given(st.binary(max_size=200), st.binary(max_size=300))
def test_prepared_pads_give_the_hmac_of_the_standard_library(key, message):
    inner, outer = link_pads(key)
    inner, outer = inner.copy(), outer.copy()
    inner.update(message)
    outer.update(inner.digest())
    assert outer.hexdigest() == hmac.new(key, message, hashlib.sha256).hexdigest()


instants = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@given(instants)
def test_exact_microseconds_hash_as_the_datetime_did(instant):
    since = instant - datetime(1970, 1, 1, tzinfo=UTC)
    exact = (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds
    assert _hashed_micros(exact) == epoch_micros(instant)


@given(
    instants,
    st.sampled_from([None, UTC, timezone(timedelta(hours=5, minutes=30))]),
)
def test_stored_sqlite_text_hashes_as_the_datetime_django_loads(instant, zone):
    # Django stores naive UTC text; rows written by other means may carry an offset. What
    # Django's SQLite backend loads from that text (USE_TZ, the database in UTC) is a pure
    # function, so this holds whichever database the suite runs on.
    text = str(instant.replace(tzinfo=None)) if zone is None else instant.astimezone(zone)
    text = str(text)
    parsed = parse_datetime(text)  # as Django's SQLite backend loads it, naive means UTC
    assert parsed is not None
    loaded = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    assert sqlite_text_micros(lambda _: loaded, naive_is_utc=True)(text) == epoch_micros(loaded)


# Neither database keeps NUL in text.
awkward_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)
stored_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | awkward_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(awkward_text, inner, max_size=4),
    max_leaves=12,
)


@pytest.mark.django_db
@given(
    channel=awkward_text,
    kind=awkward_text,
    field=awkward_text,
    before=stored_json_values,
    after=stored_json_values,
    note=awkward_text,
    data=st.dictionaries(awkward_text, stored_json_values, max_size=4),
    micros=st.integers(min_value=0, max_value=4_000_000_000_000_000),
)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_events_with_awkward_values_verify(channel, kind, field, before, after, note, data, micros):
    Event.objects.all().delete()
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    trail = AuditTrail(chain="org", actor_id=None, channel=channel[:16], at=at)
    trail.add(kind[:40], field=field[:64], before=before, after=after, note=note, data=data)
    trail.add("second", data={"b": 1, "a": [None, "é"]})
    ChainHead.objects.filter(chain="org").delete()
    trail.flush(new_chain=True)
    report = verify()
    assert report.ok, report.first_break
    assert report.events == 2
