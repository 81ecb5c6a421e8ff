"""A per-batch cache or collector never outlives its batch, also one that failed."""

from __future__ import annotations

from contextvars import ContextVar

import pytest

from tierdesk.core.scoped import bound

memo: ContextVar[dict[str, int] | None] = ContextVar("memo", default=None)


def test_the_value_is_held_inside_the_block_and_the_previous_one_comes_back_after():
    with bound(memo, {"outer": 1}) as outer:
        with bound(memo, {}) as inner:
            inner["inner"] = 2
            assert memo.get() is inner
        assert memo.get() is outer
    assert memo.get() is None


def test_a_block_that_raises_leaves_nothing_bound():
    with pytest.raises(RuntimeError), bound(memo, {"stale": 1}):
        raise RuntimeError("the batch could not be written")
    assert memo.get() is None
