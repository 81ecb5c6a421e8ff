"""A mail backend that fails as told, for delivery-retry tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

FAILURES: list[BaseException] = []


class FlakyBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if FAILURES:
            raise FAILURES.pop(0)
        mail.outbox.extend(email_messages)
        return len(email_messages)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
