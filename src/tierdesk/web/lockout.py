"""Refusing password guessing: after ``LOGIN_MAX_FAILURES`` failed sign-ins for one username
from one address within ``LOGIN_FAILURE_WINDOW`` seconds, further attempts from that address
for that username are refused for ``LOGIN_LOCKOUT_SECONDS`` after the last counted failure,
even with the right password. Attempts refused while locked are not counted, so the lock
ends on time. Keyed by username *and* address so a stranger cannot lock a colleague out
from elsewhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from tierdesk.web.models import LoginFailure


def max_failures() -> int:
    return int(getattr(settings, "LOGIN_MAX_FAILURES", 5))


def window() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "LOGIN_FAILURE_WINDOW", 15 * 60)))


def lockout() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "LOGIN_LOCKOUT_SECONDS", 15 * 60)))


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address. Behind a proxy, configure it to set REMOTE_ADDR (trusted hop only)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def normalise(username: str) -> str:
    return username.strip().lower()[:254]


def locked_until(username: str, ip: str | None, now: datetime | None = None) -> datetime | None:
    """When the lock on (username, ip) ends, or None if sign-in may be tried now."""
    now = now or timezone.now()
    limit = max_failures()
    recent = list(
        LoginFailure.objects.filter(
            username=normalise(username), ip=ip, at__gt=now - window() - lockout()
        )
        .order_by("at")
        .values_list("at", flat=True)
    )
    until: datetime | None = None
    for i in range(limit - 1, len(recent)):
        if recent[i] - recent[i - limit + 1] <= window():
            candidate = recent[i] + lockout()
            if candidate > now and (until is None or candidate > until):
                until = candidate
    return until


def record_failure(username: str, ip: str | None, now: datetime | None = None) -> None:
    now = now or timezone.now()
    LoginFailure.objects.create(username=normalise(username), ip=ip, at=now)
    LoginFailure.objects.filter(at__lt=now - window() - lockout()).delete()


def clear(username: str, ip: str | None) -> None:
    LoginFailure.objects.filter(username=normalise(username), ip=ip).delete()
