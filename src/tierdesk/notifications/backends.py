"""The mail transport: an SMTP relay named by ``TIERDESK_SMTP_URL``, else an outbox folder.

``EMAIL_BACKEND = "tierdesk.notifications.backends.OutboxEmailBackend"`` is all settings
need. The URL forms are ``smtp://user:pass@host:port`` (plain, port 25),
``smtp+starttls://…`` (STARTTLS, port 587) and ``smtps://…`` (implicit TLS, port 465); user
and password are URL-quoted. Without a URL (the embedded default) every message becomes one
``.eml`` file under ``$TIERDESK_DATA_DIR/outbox/``, written atomically, where admins can
read it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.utils import timezone

from tierdesk.conf.env import ConfigurationError, env_str

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class RelayConfig:
    host: str
    port: int
    username: str
    password: str
    use_tls: bool
    use_ssl: bool


def parse_smtp_url(url: str) -> RelayConfig:
    """Read ``TIERDESK_SMTP_URL``; a malformed URL fails naming the variable."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ConfigurationError(
            f"TIERDESK_SMTP_URL: scheme must be smtp, smtp+starttls or smtps, got {scheme!r}"
        )
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ConfigurationError("TIERDESK_SMTP_URL: the port is not a number") from None
    if not parts.hostname:
        raise ConfigurationError("TIERDESK_SMTP_URL: no host")
    return RelayConfig(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=scheme == "smtp+starttls",
        use_ssl=scheme == "smtps",
    )


def outbox_dir() -> Path:
    return Path(settings.DATA_DIR) / "outbox"


class OutboxEmailBackend(BaseEmailBackend):
    """Relay through SMTP when ``TIERDESK_SMTP_URL`` is set, else write ``.eml`` files."""

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        url = env_str("TIERDESK_SMTP_URL")
        self.relay: SmtpBackend | None = None
        if url:
            config = parse_smtp_url(url)
            self.relay = SmtpBackend(
                host=config.host,
                port=config.port,
                username=config.username or None,
                password=config.password or None,
                use_tls=config.use_tls,
                use_ssl=config.use_ssl,
                timeout=int(env_str("TIERDESK_SMTP_TIMEOUT", "30") or 30),
                fail_silently=fail_silently,
            )

    def open(self) -> bool | None:
        return self.relay.open() if self.relay else None

    def close(self) -> None:
        if self.relay:
            self.relay.close()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if self.relay is not None:
            return self.relay.send_messages(email_messages)
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            write_eml(folder, message.message().as_bytes(linesep="\r\n"))
            sent += 1
        return sent


def write_eml(folder: Path, data: bytes) -> Path:
    """Write one message so a reader never sees half a file: temp name, fsync, rename."""
    name = f"{timezone.now():%Y%m%dT%H%M%S%f}-{secrets.token_hex(6)}.eml"
    temporary = folder / f".{name}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    final = folder / name
    os.replace(temporary, final)
    return final
