"""Background work of the portal: mailing sign-in links."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django_tasks import task

from tierdesk.portal import signin

log = logging.getLogger(__name__)


@task()
def send_sign_in_link(address: str) -> int:
    """Mail a fresh link to each requester who owns ``address``; returns how many were sent.

    Unknown addresses end here, silently. A failed send is logged and not retried: the link
    is short-lived and the person can simply ask again.
    """
    sent = 0
    for user in signin.recipients(address):
        secret, expires_at = signin.issue_link(user)
        url = settings.BASE_URL + reverse("portal:sign-in-link", args=[secret])
        minutes = int(signin.LINK_LIFETIME.total_seconds() // 60)
        message = EmailMessage(
            subject="Your sign-in link for the IT help desk",
            body=(
                f"Hello {user.first_name or user.display_name},\n\n"
                "Use this link to sign in to the IT help desk portal:\n\n"
                f"{url}\n\n"
                f"It works once and expires in {minutes} minutes "
                f"({expires_at:%H:%M} UTC).\n\n"
                "If you did not ask for it, ignore this message: nobody can sign in "
                "without the link.\n"
            ),
            to=[user.email],
            headers={"Auto-Submitted": "auto-generated", "X-Loop": "tierdesk"},
        )
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("sign-in link for user %s not sent: %s", user.pk, exc)
            continue
        sent += 1
    return sent
