"""One-time sign-in links for requesters.

The request path does the same work for every address (record the request, queue a job), so
neither the answer nor its timing tells whether an address has an account. The job, run by
the worker, looks the address up, makes the link and mails it; the secret exists only in the
mail, the database keeps its SHA-256. A link signs in once, within :data:`LINK_LIFETIME`.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from tierdesk.accounts.models import Role, User
from tierdesk.accounts.selectors import with_email
from tierdesk.core.errors import DomainError
from tierdesk.portal.models import SignInLink, SignInRequest

LINK_LIFETIME = timedelta(minutes=15)
RATE_WINDOW = timedelta(minutes=15)
RATE_LIMIT = 3  # links per address per window
SECRET_MAX = 100
_DIGEST_SALT = "tierdesk.portal.sign-in-address"


class RateLimited(DomainError):
    http_status = 429

    def __init__(self, retry_after: timedelta) -> None:
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
        super().__init__(
            "Too many sign-in links were asked for this address. "
            f"Please wait {minutes} minute{'s' if minutes != 1 else ''} and try again, "
            "or use the newest link you already received.",
            field="email",
        )


class LinkNotValid(DomainError):
    http_status = 410

    def __init__(self) -> None:
        super().__init__(
            "This sign-in link has expired or was already used. Ask for a new one below."
        )


def normalise(address: str) -> str:
    return address.strip().lower()


def _address_digest(address: str) -> str:
    return salted_hmac(_DIGEST_SALT, normalise(address), algorithm="sha256").hexdigest()


def _token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def request_link(address: str, *, at: datetime | None = None) -> None:
    """Ask for a link for ``address``; the mail goes out after commit if a requester has it.

    Raises :class:`RateLimited` after :data:`RATE_LIMIT` requests for the address within
    :data:`RATE_WINDOW`, known address or not. Refused requests are not counted, so a flood
    from someone else cannot keep the owner locked out beyond the window.
    """
    from tierdesk.portal.jobs import send_sign_in_link

    now = at or timezone.now()
    address = normalise(address)
    digest = _address_digest(address)
    with transaction.atomic():
        SignInRequest.objects.filter(requested_at__lt=now - RATE_WINDOW).delete()
        recent = list(
            SignInRequest.objects.filter(address_digest=digest, requested_at__gte=now - RATE_WINDOW)
            .order_by("requested_at")
            .values_list("requested_at", flat=True)[:RATE_LIMIT]
        )
        if len(recent) >= RATE_LIMIT:
            raise RateLimited(recent[0] + RATE_WINDOW - now)
        SignInRequest.objects.create(address_digest=digest, requested_at=now)
        transaction.on_commit(lambda: send_sign_in_link.enqueue(address))


def recipients(address: str) -> list[User]:
    """The active requesters who own ``address``. Staff sign in with their password."""
    return list(
        with_email(normalise(address)).filter(role=Role.REQUESTER, is_active=True).order_by("pk")
    )


def issue_link(user: User, *, at: datetime | None = None) -> tuple[str, datetime]:
    """Make a link for ``user``; returns the secret (shown once, in the mail) and its expiry."""
    now = at or timezone.now()
    secret = secrets.token_urlsafe(32)
    expires_at = now + LINK_LIFETIME
    with transaction.atomic():
        SignInLink.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
        SignInLink.objects.create(
            user=user, token_hash=_token_digest(secret), created_at=now, expires_at=expires_at
        )
    return secret, expires_at


def _live_link(secret: str, now: datetime) -> SignInLink | None:
    if not secret or len(secret) > SECRET_MAX:
        return None
    link = (
        SignInLink.objects.select_related("user")
        .filter(token_hash=_token_digest(secret), used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if link is None or not link.user.is_active or link.user.role != Role.REQUESTER:
        return None
    return link


def is_live(secret: str, *, at: datetime | None = None) -> bool:
    """Whether the link would sign someone in now; looking does not use it up."""
    return _live_link(secret, at or timezone.now()) is not None


def redeem(secret: str, *, at: datetime | None = None) -> User:
    """Use the link up and return its requester; raises :class:`LinkNotValid` otherwise.

    The conditional update makes the link single-use even when two clicks race.
    """
    now = at or timezone.now()
    with transaction.atomic():
        link = _live_link(secret, now)
        if link is None:
            raise LinkNotValid()
        claimed = SignInLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
        if claimed != 1:
            raise LinkNotValid()
    return link.user
