"""A scheduler worker reads its database backend's CPU time only where /proc can tell it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection

from tierdesk.bench.rss import cpu_seconds
from tierdesk.bench.schedworker import _backend_pid


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_local_postgresql_backend_is_found_and_its_cpu_time_read():
    assert connection.vendor == "postgresql", "the backend is PostgreSQL's"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (expected,) = cursor.fetchone()
    pid = _backend_pid(connection)
    assert pid == expected
    spent = cpu_seconds(pid)
    assert spent is not None
    assert spent >= 0


def test_a_backend_on_another_host_is_not_looked_up_on_this_one():
    remote = SimpleNamespace(vendor="postgresql", settings_dict={"HOST": "db.example.net"})
    # No cursor: it must not even ask the server for a pid that means nothing here.
    assert _backend_pid(remote) is None


def test_another_database_has_no_backend_process():
    assert _backend_pid(SimpleNamespace(vendor="sqlite", settings_dict={"HOST": ""})) is None
