"""Desk policies are validated before they are stored."""

from __future__ import annotations

import copy

import pytest

from tierdesk.core.errors import InvalidInput
from tierdesk.org.policies import DEFAULT_TRANSITIONS, validate


def test_a_transition_table_cannot_reopen_a_final_status():
    table = copy.deepcopy(DEFAULT_TRANSITIONS)
    table["closed"] = ["in_progress"]
    with pytest.raises(InvalidInput, match="closed is final"):
        validate("transitions", table)


def test_the_default_transition_table_is_valid():
    assert validate("transitions", DEFAULT_TRANSITIONS) == DEFAULT_TRANSITIONS
