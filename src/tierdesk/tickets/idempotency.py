"""Idempotency-Key support for create commands, safe across processes.

The key's record is inserted before the work, inside the same transaction: a concurrent
retry blocks on the unique index until the first commits, then replays its result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from tierdesk.accounts.models import User
from tierdesk.core.errors import InvalidInput
from tierdesk.tickets.models import IdempotencyRecord

T = TypeVar("T")
KEY_MAX = 200


def run_once(
    user: User,
    scope: str,
    key: str | None,
    fingerprint: str,
    create: Callable[[], T],
    load: Callable[[int], T],
    object_id: Callable[[T], int],
) -> T:
    if key is None:
        with transaction.atomic():
            return create()
    key = key.strip()
    if not key or len(key) > KEY_MAX or not key.isprintable():
        raise InvalidInput(
            f"Idempotency-Key must be 1–{KEY_MAX} printable characters", field="Idempotency-Key"
        )
    try:
        with transaction.atomic():
            existing = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()
            if existing is not None:
                return _replay(existing, fingerprint, load)
            record = IdempotencyRecord.objects.create(
                user=user,
                scope=scope,
                key=key,
                request_hash=fingerprint,
                object_id=0,
                created_at=timezone.now(),
            )
            result = create()
            IdempotencyRecord.objects.filter(pk=record.pk).update(object_id=object_id(result))
            return result
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()
        if existing is None:
            raise
        return _replay(existing, fingerprint, load)


def _replay(record: IdempotencyRecord, fingerprint: str, load: Callable[[int], T]) -> T:
    if record.request_hash != fingerprint:
        raise InvalidInput(
            "Idempotency-Key was already used for a different request", field="Idempotency-Key"
        )
    return load(record.object_id)
