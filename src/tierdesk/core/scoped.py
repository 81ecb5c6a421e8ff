"""A context variable set for the length of a block, as the per-batch and per-request
caches and collectors of the domain use it (pinned policies, deferred timers, collected
notifications, counts read once per scheduler batch)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def bound(variable: ContextVar[T | None], value: T) -> Iterator[T]:
    """``variable`` holds ``value`` inside the block and what it held before after it,
    also when the block raises."""
    token = variable.set(value)
    try:
        yield value
    finally:
        variable.reset(token)
