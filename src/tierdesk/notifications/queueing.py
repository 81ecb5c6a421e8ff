"""Queueing a task so that it runs if and only if the current transaction commits.

With the database task backend the task row is written in the same transaction as the
work that owes it (an outbox row, a stored message): both commit or neither does, and no
task is lost to a crash between commit and enqueue. Backends outside the database (the
immediate one tests use) get the task after commit instead.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django_tasks import task_backends

TRANSACTIONAL_BACKENDS = ("django_tasks_db.",)


def transactional() -> bool:
    return type(task_backends["default"]).__module__.startswith(TRANSACTIONAL_BACKENDS)


def enqueue_with_transaction(enqueue: Callable[[], None]) -> None:
    if transactional() and transaction.get_connection().in_atomic_block:
        enqueue()
    else:
        transaction.on_commit(enqueue, robust=True)
