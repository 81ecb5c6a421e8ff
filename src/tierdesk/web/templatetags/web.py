"""Template helpers for the workspace: presentation only, no rules."""

from __future__ import annotations

from typing import Any

from django import template

from tierdesk.web import access

register = template.Library()


@register.filter(name="can_manage")
def can_manage(user: Any) -> bool:
    return access.can_manage(user)
