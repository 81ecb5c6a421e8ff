"""API bearer tokens: ``td_<prefix>_<secret>``; only a SHA-256 of the whole token is kept."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from tierdesk.accounts.models import ApiToken, User
from tierdesk.core.errors import InvalidInput, NotFound
from tierdesk.core.rows import from_row

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
    """The active user a live token belongs to, or None.

    Revocation, expiry and deactivation are checked against the rows on every call (nothing
    is cached), in one query by the unique prefix that returns the user with the token's hash.
    It is raw SQL because the ORM spent four times the query itself building two models and
    compiling the join, on every API request.
    """
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "td" or len(token) > 200:
        return None
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_live_token_sql(), [now - TOUCH_EVERY, parts[1], now])
        row = cursor.fetchone()
    if row is None:
        return None
    *person, token_id, token_hash, token_stale = row
    if not hmac.compare_digest(token_hash, _digest(token)):
        return None
    if token_stale:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return from_row(User, person)


@functools.cache
def _live_token_sql() -> str:
    quote = connection.ops.quote_name
    person, token = User._meta, ApiToken._meta
    columns = ", ".join(f"u.{quote(f.column)}" for f in person.concrete_fields)
    return (
        f"SELECT {columns}, t.{quote('id')} AS token_id, t.{quote('secret_hash')} AS token_hash,"
        f" CASE WHEN t.{quote('last_used_at')} IS NULL OR t.{quote('last_used_at')} <= %s"
        " THEN 1 ELSE 0 END AS token_stale"
        f" FROM {quote(token.db_table)} t JOIN {quote(person.db_table)} u"
        f" ON u.{quote('id')} = t.{quote('user_id')}"
        f" WHERE t.{quote('prefix')} = %s AND t.{quote('revoked_at')} IS NULL"
        f" AND (t.{quote('expires_at')} IS NULL OR t.{quote('expires_at')} > %s)"
        f" AND u.{quote('is_active')}"
    )


def revoke(prefix: str) -> None:
    updated = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated:
        raise NotFound(f"no active token with prefix {prefix!r}")
