"""``tierdesk audit verify --workers N`` on PostgreSQL: the ranges are walked in forked
processes that share one snapshot, and the verdict is the one a single walk gives."""

from __future__ import annotations

import pytest
from django.db import connection

from tierdesk.audit import verify as verify_module
from tierdesk.audit.models import ChainHead, Event
from tierdesk.audit.verify import verify

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def forked(monkeypatch):
    """How many times the ranges went to forked processes (not walked here in turn)."""
    calls: list[int] = []
    real = verify_module._walk_in_processes

    def counting(key, ranges, snapshot_id, progress):
        calls.append(len(ranges))
        return real(key, ranges, snapshot_id, progress)

    monkeypatch.setattr(verify_module, "_walk_in_processes", counting)
    return calls


def test_processes_sharing_one_snapshot_count_every_event_and_chain(tickets, forked):
    assert connection.vendor == "postgresql", "the shared snapshot is PostgreSQL's"
    seen: list[int] = []
    report = verify(progress=seen.append, workers=3)
    assert forked == [3]
    assert report.ok, report.first_break
    assert report.events == sum(seen) == Event.objects.count()
    assert report.chains == ChainHead.objects.count()


def test_processes_name_the_same_first_broken_event_as_one_walk(tickets, forked):
    chains = list(Event.objects.order_by("chain").values_list("chain", flat=True).distinct())
    rewritten = Event.objects.filter(chain=chains[-2]).order_by("seq").last()
    Event.objects.filter(pk=rewritten.pk).update(note="rewritten")
    alone, in_processes = verify(workers=1), verify(workers=3)
    assert forked == [3]
    assert in_processes.first_break is not None
    assert in_processes.first_break.event_id == rewritten.pk
    assert in_processes.first_break == alone.first_break
    assert in_processes.events == alone.events
