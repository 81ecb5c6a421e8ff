"""Strict readers for configuration from environment variables.

Every reader fails fast with a message that names the variable, so a misconfigured
deployment stops at start-up with one clear line instead of misbehaving later.
Secrets may come from ``<NAME>_FILE`` (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigurationError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def env_str(name: str, default: str | None = None) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ConfigurationError(
                f"{name}_FILE: cannot read {file_name}: {exc.strerror}"
            ) from exc
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name}: expected true or false, got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name}: expected a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigurationError(f"{name}: must be at least {minimum}, got {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_time_zone(name: str, default: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = env_str(name, default) or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"{name}: {value!r} is not a time zone (use an IANA name such as Europe/Berlin)"
        ) from None
    return value


def persistent_secret(name: str, data_dir: Path, file_name: str, *, nbytes: int = 48) -> str:
    """Read a secret from the environment, else from (or newly into) the data directory.

    Generated secrets are written with mode 0600 so that a fresh embedded install works with
    no setup and keeps the same secret across restarts.
    """
    value = env_str(name)
    if value:
        return value
    path = data_dir / file_name
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(nbytes)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: theirs wins
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(generated)
    return generated
