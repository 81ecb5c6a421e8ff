"""Finding people by their email address."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tierdesk.accounts.models import User
from tierdesk.accounts.selectors import with_email

pytestmark = pytest.mark.django_db


def test_an_address_finds_its_account_in_any_letter_case():
    stored = User.objects.create(username="ada", email="Ada.Lovelace@Example.COM")
    User.objects.create(username="bob", email="bob@example.com")

    for typed in (
        "ada.lovelace@example.com",
        "ADA.LOVELACE@EXAMPLE.COM",
        " Ada.Lovelace@example.com ",
    ):
        assert list(with_email(typed)) == [stored]


def test_the_lookup_can_go_through_the_lower_cased_address_index():
    with CaptureQueriesContext(connection) as queries:
        list(with_email("ada@example.com"))
    [query] = queries.captured_queries
    if connection.vendor == "postgresql":
        # A near-empty table is cheaper to scan; the question is whether the index matches.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = with_email("ada@example.com").explain()
    assert "LOWER" in query["sql"].upper()
    assert "user_email_lower" in plan
