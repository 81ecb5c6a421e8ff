"""API bearer tokens: ``td_<prefix>_<secret>``; only a SHA-256 of the whole token is kept."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from tierdesk.accounts.models import ApiToken, User
from tierdesk.core.errors import InvalidInput, NotFound

TOUCH_EVERY = timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "", expires_at: datetime | None = None) -> str:
    """Make a token and return it; it is shown once and cannot be recovered later."""
    if not user.is_active:
        raise InvalidInput(f"{user.username} is deactivated", field="username")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("expiry must be in the future", field="expires")
    prefix = secrets.token_hex(6)
    token = f"td_{prefix}_{secrets.token_urlsafe(32)}"
    ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, secret_hash=_digest(token), expires_at=expires_at
    )
    return token


def authenticate(token: str) -> User | None:
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "td" or len(token) > 200:
        return None
    record = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if record is None or not hmac.compare_digest(record.secret_hash, _digest(token)):
        return None
    now = timezone.now()
    if record.revoked_at or (record.expires_at and record.expires_at <= now):
        return None
    if not record.user.is_active:
        return None
    if record.last_used_at is None or now - record.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user


def revoke(prefix: str) -> None:
    updated = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated:
        raise NotFound(f"no active token with prefix {prefix!r}")
