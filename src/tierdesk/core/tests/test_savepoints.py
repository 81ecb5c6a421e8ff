"""A block with savepoints left out writes as usual; a failure in it spoils the transaction
instead of being undone alone, so nothing of a spoiled batch can be committed by mistake."""

from __future__ import annotations

from contextlib import suppress

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from tierdesk.core import savepoints
from tierdesk.org.models import Team
from tierdesk.testing import TeamFactory

pytestmark = pytest.mark.django_db


def _savepoint_statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]


def test_nested_blocks_open_no_savepoint_and_their_writes_stay():
    team = TeamFactory(name="Before")
    with transaction.atomic(), savepoints.left_out():
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            Team.objects.filter(pk=team.pk).update(name="Inside")
            with transaction.atomic():
                Team.objects.filter(pk=team.pk).update(name="Deeper")
        assert _savepoint_statements(queries) == []
        assert not savepoints.spoiled()
    assert Team.objects.get(pk=team.pk).name == "Deeper"


def _carry_on_after_a_failed_block(team: Team) -> None:
    # A caller that carries on after the failure, as a savepoint would have let it.
    with suppress(ValueError), transaction.atomic():
        Team.objects.filter(pk=team.pk).update(name="Half written")
        raise ValueError("the command refused")
    assert savepoints.spoiled()
    Team.objects.filter(pk=team.pk).update(name="After")


def test_a_failure_caught_inside_spoils_the_transaction_and_the_next_statement_refuses():
    team = TeamFactory(name="Before")
    with transaction.atomic(), savepoints.left_out():
        with pytest.raises(TransactionManagementError):
            _carry_on_after_a_failed_block(team)
        with pytest.raises(savepoints.Spoiled):
            savepoints.ensure_intact()
    assert Team.objects.get(pk=team.pk).name == "Before"


def test_savepoints_are_back_after_the_block_even_when_it_fails():
    team = TeamFactory(name="Before")
    with transaction.atomic():
        with (
            pytest.raises(ValueError, match="as they found it"),
            savepoints.left_out(),
            savepoints.left_out(),
        ):
            raise ValueError("nested blocks leave it as they found it")
        with suppress(ValueError), transaction.atomic():
            Team.objects.filter(pk=team.pk).update(name="Undone")
            raise ValueError("undone by its savepoint")
        assert not savepoints.spoiled()
        savepoints.ensure_intact()
    assert Team.objects.get(pk=team.pk).name == "Before"


@pytest.mark.django_db(transaction=True)  # no test transaction around it
def test_savepoints_cannot_be_left_out_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside a transaction"), savepoints.left_out():
        pass
