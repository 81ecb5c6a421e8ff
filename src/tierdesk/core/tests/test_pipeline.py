"""Pipelined statements land as if sent one by one, and their errors stay Django's."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from tierdesk.accounts.models import User
from tierdesk.core.pipeline import pipelined
from tierdesk.core.rows import from_row, insert_many
from tierdesk.org.models import Membership
from tierdesk.testing import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_row_written_in_a_pipelined_block_is_there_at_its_end():
    team, other = TeamFactory(), TeamFactory()
    people = UserFactory.create_batch(3)
    with transaction.atomic(), pipelined():
        insert_many([Membership(user=person, team=team) for person in people])
        insert_many([Membership(user=people[0], team=other)])
    assert Membership.objects.filter(user=people[0]).count() == 2
    assert set(Membership.objects.filter(team=team).values_list("user", flat=True)) == {
        person.pk for person in people
    }


def test_a_broken_constraint_in_a_pipelined_block_is_an_integrity_error_that_rolls_it_back():
    team, other, person = TeamFactory(), TeamFactory(), UserFactory()

    def write_twice() -> None:
        with transaction.atomic(), pipelined():
            insert_many([Membership(user=person, team=team)])
            insert_many([Membership(user=person, team=team)])  # one membership per team
            insert_many([Membership(user=person, team=other)])

    with pytest.raises(IntegrityError):
        write_twice()
    assert not Membership.objects.filter(user=person).exists()
    with connection.cursor() as cursor:  # the connection is usable after the rollback
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_row_read_by_hand_is_the_user_the_orm_loads():
    person = UserFactory(skills=["vpn", "née"], on_shift=True)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in User._meta.concrete_fields)
    with transaction.atomic(), pipelined(), connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM accounts_user WHERE id = %s", [person.pk])
        loaded = from_row(User, cursor.fetchone())
    expected = User.objects.get(pk=person.pk)
    assert loaded.pk == expected.pk
    assert loaded._state.adding is False
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
