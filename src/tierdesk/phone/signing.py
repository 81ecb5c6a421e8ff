"""Authenticating the telephony webhook: HMAC-SHA256 with a shared secret, no bearer token.

The sender signs ``<timestamp>.<raw body>`` with the secret from
``TIERDESK_PHONE_WEBHOOK_SECRET`` (or ``TIERDESK_PHONE_WEBHOOK_SECRET_FILE``) and sends
``X-Tierdesk-Timestamp: <unix seconds>`` and ``X-Tierdesk-Signature: sha256=<hex>``.
A request whose timestamp is more than five minutes from the server's clock is refused, so
a captured request can be replayed only inside that window — where the call's unique
``provider_call_id`` makes the replay change nothing.
"""

from __future__ import annotations

import hashlib
import hmac

from tierdesk.conf.env import ConfigurationError, env_str

SECRET_ENV = "TIERDESK_PHONE_WEBHOOK_SECRET"
SECRET_MIN = 16
WINDOW_SECONDS = 300
TIMESTAMP_HEADER = "X-Tierdesk-Timestamp"
SIGNATURE_HEADER = "X-Tierdesk-Signature"


class NotConfigured(Exception):
    """No usable secret: the endpoint is switched off (503), not open. The message says why,
    for the server's log; callers are only told the endpoint is not configured."""


class BadSignature(Exception):
    """The request is not from the holder of the secret, or is too old or too new."""


def webhook_secret() -> bytes:
    """The shared secret, read on every request so a rotated secret file takes effect."""
    try:
        value = env_str(SECRET_ENV)
    except ConfigurationError as exc:
        raise NotConfigured(str(exc)) from exc
    if not value:
        raise NotConfigured(f"{SECRET_ENV} is not set")
    if len(value) < SECRET_MIN:
        raise NotConfigured(f"{SECRET_ENV} must be at least {SECRET_MIN} characters")
    return value.encode()


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: bytes, *, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> None:
    """Raise :class:`BadSignature` unless ``signature`` signs ``body`` at a fresh ``timestamp``.

    The signature is compared in constant time and checked before the clock, so a stale
    request learns nothing it did not send.
    """
    stamp = (timestamp or "").strip()
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise BadSignature(f"{TIMESTAMP_HEADER} must be the time in unix seconds")
    given = (signature or "").strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(sign(secret, stamp, body).encode(), given):
        raise BadSignature("invalid signature")
    if abs(now - int(stamp)) > WINDOW_SECONDS:
        raise BadSignature("timestamp outside the 5-minute replay window")
