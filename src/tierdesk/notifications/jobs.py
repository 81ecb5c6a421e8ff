"""Delivering notifications by mail, with retries and backoff on temporary failures."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks import task

from tierdesk.notifications.models import Notification, NotificationStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)


@task()
def deliver_notification(notification_id: int) -> str:
    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None or notification.status != NotificationStatus.PENDING:
        return "skipped"
    if not notification.recipient.email:
        Notification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.FAILED, last_error="recipient has no email address"
        )
        return "failed"
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        to=[notification.recipient.email],
        headers={"Auto-Submitted": "auto-generated", "X-Loop": "tierdesk"},
    )
    attempts = notification.attempts + 1
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        permanent = isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500
        if permanent or attempts >= MAX_ATTEMPTS:
            Notification.objects.filter(pk=notification.pk).update(
                status=NotificationStatus.FAILED, attempts=attempts, last_error=str(exc)[:1000]
            )
            log.warning("notification %s failed for good: %s", notification.pk, exc)
            return "failed"
        Notification.objects.filter(pk=notification.pk).update(
            attempts=attempts, last_error=str(exc)[:1000]
        )
        delay = BACKOFF_SECONDS[min(attempts - 1, len(BACKOFF_SECONDS) - 1)]
        deliver_notification.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            notification.pk
        )
        return "retrying"
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENT, attempts=attempts, sent_at=timezone.now()
    )
    return "sent"
