"""Read queries over the organisation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from tierdesk.accounts.models import Role, User
from tierdesk.core.scoped import bound
from tierdesk.org.models import Team

# Members per team as read in this block (see team_members_read_once).
_read: ContextVar[dict[int, list[User]] | None] = ContextVar("team_members_read", default=None)


@contextmanager
def team_members_read_once() -> Iterator[None]:
    """Inside this block a team's members are read once: for a batch that tells a team
    about many tickets in one transaction (the scheduler's automatic escalations), and
    picks their assignees from the same read (``routing.assignment.candidates``). The
    batch sees the teams, shifts included, as they were when it first asked."""
    with bound(_read, {}):
        yield


def team_members(team_id: int) -> list[User]:
    read = _read.get()
    if read is not None and team_id in read:
        return list(read[team_id])
    members = list(
        User.objects.filter(memberships__team_id=team_id, is_active=True).exclude(
            role=Role.REQUESTER
        )
    )
    if read is not None:
        read[team_id] = members
    return list(members)


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
    from tierdesk.org.models import Membership

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
