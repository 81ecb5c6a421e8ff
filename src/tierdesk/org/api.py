"""Organisation endpoints: the hierarchy, teams and people."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from tierdesk.accounts.models import User
from tierdesk.core.errors import Forbidden
from tierdesk.org.models import Team
from tierdesk.org.selectors import org_tree, team_summary

router = Router(tags=["organisation"])
Json = dict[str, Any]


def _staff(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    if not user.is_staff_member:
        raise Forbidden("only support staff may read the organisation's people")
    return user


@router.get("/org", response=Json, summary="The support hierarchy as a tree")
def org(request: HttpRequest) -> Json:
    _staff(request)
    return {"teams": org_tree()}


@router.get("/teams", response=list[Json], summary="Teams with kind, level, parent and lead")
def teams(request: HttpRequest) -> list[Json]:
    return [team_summary(t) for t in Team.objects.select_related("lead", "parent").order_by("pk")]


@router.get("/users", response=list[Json], summary="People (staff only)")
def users(request: HttpRequest) -> list[Json]:
    _staff(request)
    people = (
        User.objects.filter(is_active=True)
        .select_related("manager")
        .prefetch_related("memberships__team")
        .order_by("username")
    )
    return [
        {
            "username": u.username,
            "name": u.display_name,
            "email": u.email,
            "role": u.role,
            "role_title": u.role_title,
            "on_shift": u.on_shift,
            "manager": u.manager.username if u.manager else None,
            "teams": [m.team.slug for m in u.memberships.all()],
        }
        for u in people
    ]
