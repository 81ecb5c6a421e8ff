"""A benchmark run refuses a database written with another data directory's keys."""

from __future__ import annotations

import pytest

from tierdesk.bench import runner
from tierdesk.conf.env import ConfigurationError
from tierdesk.conf.keys import record_or_refuse
from tierdesk.tickets.models import Ticket


@pytest.mark.django_db
def test_a_reused_database_written_with_another_audit_key_is_refused(settings, tmp_path):
    record_or_refuse()  # the database as generated, with its keys
    settings.AUDIT_KEY = "the key of another data directory"
    spec = {
        "data_dir": str(tmp_path),
        "name": "tierdesk_bench_test",
        "tickets": 10,
        "seed": 1,
        "reuse": True,
        "quick": True,
        "scenarios": [],
    }
    with pytest.raises(ConfigurationError, match="TIERDESK_AUDIT_KEY"):
        runner.main(spec)
    assert not Ticket.objects.exists(), "nothing was generated or run"
