"""Phone numbers compare after formatting is stripped; anything else is not a number."""

from __future__ import annotations

import pytest

from tierdesk.core.errors import InvalidInput
from tierdesk.phone.numbers import channel_username, normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+49 (30) 1234-567", "+49301234567"),
        (" +1.415.555.0100 ", "+14155550100"),
        ("030 1234567", "0301234567"),
        ("200", "200"),
        ("+44\t20 7946 0000", "+442079460000"),
    ],
)
def test_formatting_is_dropped_and_a_leading_plus_is_kept(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "+",
        "1",
        "++49301234",
        "49+301234",
        "abc",
        "0301234567x",
        "+" + "1" * 21,
        "٣٣٣٣",
        "1" * 41,
    ],
)
def test_anything_but_an_optional_plus_and_2_to_20_digits_is_refused_naming_the_field(raw):
    with pytest.raises(InvalidInput) as refused:
        normalise(raw, "caller")
    assert refused.value.field == "caller"


def test_the_channel_names_a_new_caller_after_the_whole_number_plus_included():
    assert channel_username("+49301234567") != channel_username("49301234567")
