"""The walk streams events and heads side by side: its verdicts must not depend on where
pages end, and it must rank breaks as it always did."""

from __future__ import annotations

import pytest

from tierdesk.audit import walk as walk_module
from tierdesk.audit.models import ChainHead, Event
from tierdesk.audit.verify import _snapshot_literal, verify

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[2, 3, 5000], ids=["pages-of-2", "pages-of-3", "one-page"])
def page_size(request, monkeypatch):
    monkeypatch.setattr(walk_module, "BATCH", request.param)
    return request.param


@pytest.fixture(params=[1, 3], ids=["one-range", "three-ranges"])
def workers(request):
    """Inside the test's transaction the ranges of several workers are walked in turn,
    which is what decides the verdict when they run in processes."""
    return request.param


def chains_in_order():
    return list(Event.objects.order_by("chain").values_list("chain", flat=True).distinct())


def test_an_intact_trail_counts_every_event_and_chain(tickets, page_size, workers):
    seen = []
    report = verify(progress=seen.append, workers=workers)
    assert report.ok
    assert report.events == sum(seen) == Event.objects.count()
    assert report.chains == ChainHead.objects.count()


def test_the_first_broken_event_in_chain_order_is_named(tickets, page_size, workers):
    chains = chains_in_order()
    later = Event.objects.filter(chain=chains[-2]).order_by("seq").first()
    earlier = Event.objects.filter(chain=chains[3]).order_by("seq").last()
    Event.objects.filter(pk__in=[later.pk, earlier.pk]).update(note="rewritten")
    report = verify(workers=workers)
    broken = report.first_break
    assert broken is not None
    assert (broken.chain, broken.event_id) == (chains[3], earlier.pk)
    assert report.events == Event.objects.filter(chain__lt=chains[3]).count() + earlier.seq - 1


def test_a_chain_whose_head_row_was_deleted_is_named(tickets, page_size, workers):
    chain = chains_in_order()[5]
    ChainHead.objects.filter(chain=chain).delete()
    report = verify(workers=workers)
    broken = report.first_break
    assert broken is not None
    assert broken.chain == chain
    assert "head says nothing" in broken.reason
    assert report.events == Event.objects.filter(chain__lte=chain).count()


def test_a_head_left_without_events_is_named_after_every_chain_was_walked(
    tickets, page_size, workers
):
    chains = chains_in_order()
    Event.objects.filter(chain=chains[4]).delete()
    Event.objects.filter(chain=chains[7]).delete()
    broken = verify(workers=workers).first_break
    assert broken is not None
    assert broken.chain == chains[4]
    assert "chain deleted" in broken.reason


def test_an_altered_head_is_reported_before_an_earlier_broken_event(tickets, page_size, workers):
    chains = chains_in_order()
    Event.objects.filter(chain=chains[0], seq=1).update(note="rewritten")
    ChainHead.objects.filter(chain=chains[-1]).update(mac="0" * 64)
    broken = verify(workers=workers).first_break
    assert broken is not None
    assert broken.chain == chains[-1]
    assert "MAC" in broken.reason


def test_a_history_without_ticket_is_named_by_the_smallest_ticket_id(tickets, page_size, workers):
    from tierdesk.notifications.models import Notification
    from tierdesk.scheduler.models import Timer
    from tierdesk.tickets.models import Ticket, TierStint

    gone = sorted(ticket.pk for ticket in tickets)[-3:]
    for model in (TierStint, Timer, Notification):
        model.objects.filter(ticket__in=gone).delete()
    Ticket.objects.filter(pk__in=gone).delete()
    broken = verify(workers=workers).first_break
    assert broken is not None
    assert broken.chain == f"ticket:{gone[0]}"


def test_each_page_of_a_later_range_seeks_to_where_the_page_before_ended(tickets, monkeypatch):
    """With the range's lower bound beside the last key, SQLite seeks the index to the bound
    and filters from there: every page re-read the range up to itself (a range of a million
    tickets slowed from 84,000 to 27,000 events/s within 40 s)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tierdesk.audit.services import audit_key

    monkeypatch.setattr(walk_module, "BATCH", 2)
    chains = chains_in_order()
    lower = chains[len(chains) // 2]
    with CaptureQueriesContext(connection) as captured:
        walked = walk_module.walk(audit_key(), (lower, None), None)
    assert walked.first_break is None
    assert walked.events == Event.objects.filter(chain__gte=lower).count()
    event_pages = [q["sql"] for q in captured.captured_queries if "audit_event" in q["sql"]]
    assert len(event_pages) > 2
    first, *later = event_pages
    assert " >= " in first
    assert all(" >= " not in sql and ") > (" in sql for sql in later)


@pytest.mark.parametrize("exported", ["00000003-0000001B-1", "000003A1-1"])
def test_a_snapshot_id_as_postgresql_exports_it_is_written_as_it_is(exported):
    assert _snapshot_literal(exported) == exported


@pytest.mark.parametrize("hostile", ["'; DROP TABLE audit_event; --", "", "00000003 0000001B"])
def test_a_snapshot_id_that_is_not_one_never_reaches_the_statement(hostile):
    with pytest.raises(ValueError, match="not a snapshot id"):
        _snapshot_literal(hostile)


@pytest.mark.parametrize(("cpus", "walkers"), [(1, 1), (2, 2), (32, 8)])
def test_a_full_check_walks_with_one_process_per_usable_cpu_up_to_eight(cpus, walkers, monkeypatch):
    from tierdesk.audit import verify as verify_module

    monkeypatch.setattr(verify_module.os, "sched_getaffinity", lambda pid: set(range(cpus)))
    assert verify_module.usable_cpus() == walkers
