"""Which workspace pages a person may open. Ticket-level access stays in accounts.policy."""

from __future__ import annotations

from typing import Any

from tierdesk.accounts.models import Role

MANAGEMENT_VIEW_ROLES = frozenset(
    {Role.TEAM_LEAD, Role.INCIDENT_MANAGER, Role.IT_MANAGER, Role.CIO, Role.ADMIN, Role.AUDITOR}
)


def is_staff(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.is_active and user.is_staff_member
    )


def can_manage(user: Any) -> bool:
    return is_staff(user) and user.role in MANAGEMENT_VIEW_ROLES
