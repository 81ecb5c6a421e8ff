"""Read queries over the organisation."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection

from tierdesk.accounts.models import Role, User
from tierdesk.core.rows import from_row, select_list
from tierdesk.core.scoped import bound
from tierdesk.org.models import Membership, Team

# Members per team as read in this block (see team_members_read_once).
_read: ContextVar[dict[int, list[User]] | None] = ContextVar("team_members_read", default=None)


@contextmanager
def team_members_read_once() -> Iterator[None]:
    """Inside this block a team's members are read once: for a batch that tells a team
    about many tickets in one transaction (the scheduler's automatic escalations) or
    opens many at it (a mail import's batch, committed every tenth of a second), and
    picks their assignees from the same read (``routing.assignment.candidates``). The
    batch sees the teams, shifts included, as they were when it first asked."""
    with bound(_read, {}):
        yield


def team_members(team_id: int) -> list[User]:
    """The team's active staff members, by id."""
    read = _read.get()
    if read is not None and team_id in read:
        return list(read[team_id])
    with connection.cursor() as cursor:
        cursor.execute(_team_members_sql(), [team_id])
        members = [from_row(User, row) for row in cursor.fetchall()]
    if read is not None:
        read[team_id] = members
    return list(members)


@functools.cache
def _team_members_sql() -> str:
    """The members query built once: through the ORM, compiling it and building the users
    took 3-6 ms for a team of forty, once per mail batch and per scheduler batch."""
    quote = connection.ops.quote_name
    membership = Membership._meta
    return (
        f"SELECT {select_list('u', User)} FROM {quote(User._meta.db_table)} u"
        f" WHERE u.{quote('is_active')} AND u.{quote('role')} <> '{Role.REQUESTER}'"
        f" AND u.{quote('id')} IN (SELECT m.{quote(membership.get_field('user').column)}"
        f" FROM {quote(membership.db_table)} m"
        f" WHERE m.{quote(membership.get_field('team').column)} = %s)"
        f" ORDER BY u.{quote('id')}"
    )


def members_read_once(team_id: int) -> list[User] | None:
    """The team's members as this block reads them once (see team_members_read_once);
    None outside such a block."""
    return None if _read.get() is None else team_members(team_id)


def people_with_role(role: str) -> list[User]:
    return list(User.objects.filter(role=role, is_active=True))


def lead_of(team: Team) -> User | None:
    return team.lead


def org_tree() -> list[dict[str, object]]:
    """The hierarchy as nested teams with leads, members and reporting lines (3 queries)."""
    teams = list(Team.objects.select_related("lead", "parent").order_by("pk"))
    members: dict[int, list[dict[str, object]]] = {}
    for membership in Membership.objects.select_related("user__manager").order_by("user__username"):
        user = membership.user
        members.setdefault(membership.team_id, []).append(
            {
                "username": user.username,
                "name": user.display_name,
                "email": user.email,
                "role": user.role,
                "role_title": user.role_title,
                "skills": user.skills,
                "manager": user.manager.username if user.manager else None,
                "on_shift": user.on_shift,
            }
        )
    nodes = {
        team.pk: {**team_summary(team), "members": members.get(team.pk, []), "children": []}
        for team in teams
    }
    roots = []
    for team in teams:
        node = nodes[team.pk]
        if team.parent_id and team.parent_id in nodes:
            nodes[team.parent_id]["children"].append(node)  # type: ignore[attr-defined]
        else:
            roots.append(node)
    return roots


def team_summary(team: Team) -> dict[str, object]:
    return {
        "slug": team.slug,
        "name": team.name,
        "kind": team.kind,
        "level": team.level,
        "parent": team.parent.slug if team.parent else None,
        "lead": team.lead.username if team.lead else None,
        "assignment_strategy": team.assignment_strategy,
    }
