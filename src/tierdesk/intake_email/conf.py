"""Mail settings, read when used (not at import) so tests and long-running processes see
the current value.

Each reader takes a Django setting first (tests override those with the ``settings``
fixture), then the environment variable, then the default. Malformed values fail with a
message naming the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from tierdesk.conf.env import ConfigurationError, env_int, env_str

MIB = 1024 * 1024


def _setting(name: str) -> Any:
    return getattr(settings, name, None)


def max_message_bytes() -> int:
    """Largest raw message accepted (default 40 MiB: a 25 MB attachment is ~34 MB encoded)."""
    value = _setting("MAIL_MAX_BYTES")
    return int(value) if value else env_int("TIERDESK_MAIL_MAX_BYTES", 40 * MIB, minimum=1024)


def max_attachment_bytes() -> int:
    """Largest attachment uploaded through the API (default 25 MiB)."""
    value = _setting("ATTACHMENT_MAX_BYTES")
    return int(value) if value else env_int("TIERDESK_ATTACHMENT_MAX_BYTES", 25 * MIB, minimum=1)


def parse_timeout() -> float:
    """Seconds one message may take to parse before it is quarantined (default 5)."""
    value = _setting("MAIL_PARSE_TIMEOUT")
    if value:
        return float(value)
    raw = env_str("TIERDESK_MAIL_PARSE_TIMEOUT")
    if raw is None:
        return 5.0
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigurationError(
            f"TIERDESK_MAIL_PARSE_TIMEOUT: expected seconds, got {raw!r}"
        ) from None
    if seconds <= 0:
        raise ConfigurationError("TIERDESK_MAIL_PARSE_TIMEOUT: must be more than 0")
    return seconds


def acknowledgements_per_hour() -> int:
    """Automatic acknowledgements one address may receive per hour (default 3)."""
    value = _setting("MAIL_ACKS_PER_HOUR")
    return int(value) if value else env_int("TIERDESK_MAIL_ACKS_PER_HOUR", 3, minimum=1)


def from_address() -> str:
    return str(settings.DEFAULT_FROM_EMAIL)


def loop_token() -> str:
    """The X-Loop value of our own mail: unique per installation (our address), so two
    tierdesk installations writing to each other do not drop each other's mail."""
    value = _setting("MAIL_LOOP_TOKEN") or env_str("TIERDESK_MAIL_LOOP_TOKEN")
    return str(value or from_address()).strip().lower()


def trusted_authserv_id() -> str | None:
    """authserv-id of the MTA in front of us whose Authentication-Results we believe.

    Unset: only the topmost Authentication-Results header counts (the receiving server's).
    """
    value = _setting("MAIL_AUTHSERV_ID") or env_str("TIERDESK_MAIL_AUTHSERV_ID")
    return str(value).strip().lower() if value else None


def key_prefix() -> str:
    return str(settings.TICKET_KEY_PREFIX)


def smtp_listen() -> tuple[str, int]:
    """``TIERDESK_SMTP_LISTEN`` as (host, port); default 127.0.0.1:2525."""
    value = env_str("TIERDESK_SMTP_LISTEN", "127.0.0.1:2525") or "127.0.0.1:2525"
    return parse_listen(value, "TIERDESK_SMTP_LISTEN")


def parse_listen(value: str, name: str) -> tuple[str, int]:
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(f"{name}: expected host:port, got {value!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def data_dir() -> Path:
    return Path(settings.DATA_DIR)
