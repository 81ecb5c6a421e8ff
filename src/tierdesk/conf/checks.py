"""``tierdesk check``: every configuration problem, found in one pass."""

from __future__ import annotations

import os


def _environment_problems() -> list[str]:
    """Each variable read on its own, so that one bad value does not hide the next."""
    from tierdesk.conf import env

    readers = [
        lambda: env.env_time_zone("TIERDESK_TIME_ZONE", "UTC"),
        lambda: env.env_bool("TIERDESK_DEBUG", False),
        lambda: (
            env.env_int("TIERDESK_SESSION_SECONDS", 1, minimum=60)
            if env.env_str("TIERDESK_SESSION_SECONDS")
            else 0
        ),
        lambda: env.env_int("TIERDESK_SCHEDULER_INTERVAL", 5, minimum=1),
        lambda: env.env_int("TIERDESK_SCHEDULER_BATCH", 500, minimum=1),
        lambda: env.env_int("TIERDESK_WEB_WORKERS", 2, minimum=1),
        lambda: env.env_str("TIERDESK_SECRET_KEY"),
        lambda: env.env_str("TIERDESK_AUDIT_KEY"),
    ]
    problems = []
    for read in readers:
        try:
            read()
        except env.ConfigurationError as exc:
            problems.append(str(exc))
    url = env.env_str("DATABASE_URL")
    if url and not url.startswith(("sqlite://", "postgres://", "postgresql://")):
        problems.append(f"DATABASE_URL: {url.split(':')[0]!r} is not sqlite or postgresql")
    return problems


def find_problems() -> list[str]:
    from tierdesk.conf.env import ConfigurationError

    problems = _environment_problems()
    if problems:
        return problems
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tierdesk.settings")
        import django

        django.setup()
    except ConfigurationError as exc:
        return [str(exc)]
    from django.conf import settings
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from tierdesk.conf.env import env_str

    data_dir = settings.DATA_DIR
    if not os.access(data_dir, os.W_OK):
        problems.append(f"TIERDESK_DATA_DIR: {data_dir} is not writable")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(settings.TIME_ZONE)
    except Exception:
        problems.append(f"TIERDESK_TIME_ZONE: {settings.TIME_ZONE!r} is not a time zone")
    if len(str(settings.AUDIT_KEY)) < 32:
        problems.append("TIERDESK_AUDIT_KEY: shorter than 32 characters; use a random key")
    if len(str(settings.SECRET_KEY)) < 32:
        problems.append("TIERDESK_SECRET_KEY: shorter than 32 characters; use a random key")
    smtp_url = env_str("TIERDESK_SMTP_URL")
    if smtp_url and not smtp_url.startswith(("smtp://", "smtps://", "smtp+starttls://")):
        problems.append("TIERDESK_SMTP_URL: must start with smtp://, smtps:// or smtp+starttls://")
    try:
        connection.ensure_connection()
    except Exception as exc:
        problems.append(f"DATABASE_URL: cannot connect: {str(exc).splitlines()[0]}")
        return problems
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        problems.append(
            f"database: {len(pending)} migration(s) not applied; run `tierdesk migrate`"
        )
        return problems
    from tierdesk.conf.keys import mismatches
    from tierdesk.org.models import Team, TeamKind

    problems.extend(mismatches())

    if not Team.objects.filter(kind=TeamKind.SERVICE_DESK).exists():
        problems.append("organisation: no service desk team; run `tierdesk org apply FILE`")
    return problems
