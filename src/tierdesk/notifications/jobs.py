"""Delivering notifications by mail, with retries and backoff on temporary failures.

Django's task API has no retry of its own: a temporary failure (4xx, a dropped connection,
a full disk) re-enqueues the task with ``run_after``; after the last try, or at once on a
permanent failure (5xx), the row is marked failed with the error, which admins can see.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.utils import timezone
from django_tasks import task
from django_tasks.exceptions import InvalidTaskError

from tierdesk.notifications.mail import build_message
from tierdesk.notifications.models import Notification, NotificationStatus
from tierdesk.notifications.services import render_owed

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)


class PermanentFailure(Exception):
    """Retrying cannot help: the address or the message was refused for good."""


def is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, PermanentFailure):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return not isinstance(exc, smtplib.SMTPException | OSError)


@task()
def deliver_notification(notification_id: int) -> str:
    notification = (
        Notification.objects.select_related("recipient", "ticket")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.status != NotificationStatus.PENDING:
        return "skipped"
    attempts = notification.attempts + 1
    # Claim this attempt: a second copy of the task (a retry racing a sweep) finds the
    # counter moved and does nothing, so one attempt sends at most one mail.
    claimed = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.PENDING, attempts=notification.attempts
    ).update(attempts=F("attempts") + 1, next_attempt_at=None)
    if not claimed:
        return "skipped"
    # Rendered once sent: a retry renders the same from the same frozen values.
    rendered: dict[str, Any] = {}
    try:
        if notification.render_later is not None:
            render_owed(notification)
            rendered = {
                "subject": notification.subject,
                "body": notification.body,
                "body_html": notification.body_html,
                "render_later": None,
            }
        message: EmailMultiAlternatives = build_message(notification)
        message.send()
    except Exception as exc:
        return _failed(notification, attempts, exc)
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENT,
        sent_at=timezone.now(),
        references=message.extra_headers.get("References", ""),
        last_error="",
        **rendered,
    )
    return "sent"


@task()
def deliver_owed(dedup_keys: list[str]) -> list[str]:
    """Deliver what one command owed: one task per command, not one per message.

    Only rows still pending and untried go out: an acknowledgement suppressed before commit,
    or a row whose own task a retry already claimed, is left alone. Each row is then one
    :func:`deliver_notification` attempt, with its own claim and its own retries.
    """
    owed = Notification.objects.filter(
        dedup_key__in=dedup_keys, status=NotificationStatus.PENDING, attempts=0
    ).order_by("pk")
    return [deliver_notification.call(pk) for pk in owed.values_list("pk", flat=True)]


def _failed(notification: Notification, attempts: int, exc: BaseException) -> str:
    error = f"{type(exc).__name__}: {exc}"[:1000]
    if is_permanent(exc) or attempts >= MAX_ATTEMPTS:
        Notification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.FAILED, last_error=error
        )
        log.warning(
            "notification %s failed for good after %s tries: %s", notification.pk, attempts, error
        )
        return "failed"
    delay = BACKOFF_SECONDS[min(attempts - 1, len(BACKOFF_SECONDS) - 1)]
    when = timezone.now() + timedelta(seconds=delay)
    Notification.objects.filter(pk=notification.pk).update(last_error=error, next_attempt_at=when)
    try:
        deliver_notification.using(run_after=when).enqueue(notification.pk)
    except InvalidTaskError:
        # A backend that cannot defer (the immediate one): the row stays pending with its
        # due time and ``retry_due`` picks it up.
        log.warning(
            "notification %s: task backend cannot defer; left for retry_due", notification.pk
        )
    log.info(
        "notification %s: temporary failure (%s), retry at %s",
        notification.pk,
        error,
        when.isoformat(),
    )
    return "retrying"


def retry_due(limit: int = 500) -> int:
    """Enqueue pending notifications whose retry time has passed, or whose task was lost
    (pending and untried for more than ten minutes). Safe to run from any scheduler."""
    now = timezone.now()
    due = list(
        Notification.objects.filter(
            status=NotificationStatus.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:limit]
    )
    lost = list(
        Notification.objects.filter(
            status=NotificationStatus.PENDING,
            attempts=0,
            next_attempt_at__isnull=True,
            created_at__lte=now - timedelta(minutes=10),
        ).values_list("pk", flat=True)[:limit]
    )
    for pk in dict.fromkeys(due + lost):
        deliver_notification.enqueue(pk)
    return len(due) + len(lost)
