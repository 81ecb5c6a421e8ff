"""A queue row links to its ticket exactly as ``reverse("ticket", ...)`` would."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse
from hypothesis import given
from hypothesis import strategies as st

from tierdesk.web.rows import _ticket_link

KEYS = st.one_of(
    st.from_regex(r"[A-Z]{1,5}-[0-9]{1,9}", fullmatch=True),
    st.text(max_size=40),
    st.text(alphabet="/%?#&=:@~ +;,'\"<>é\u202e", max_size=12),
)


@given(KEYS)
def test_a_row_links_to_the_ticket_page_as_the_resolver_would(key: str) -> None:
    link = _ticket_link()
    try:
        expected = reverse("ticket", args=[key])
    except NoReverseMatch:
        with pytest.raises(NoReverseMatch):
            link(key)
        return
    assert link(key) == expected
