"""Template helpers for the portal: presentation only."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter(name="ago")
def ago(moment: datetime | None) -> str:
    """``3 hours ago``; ``just now`` under a minute (timesince would say "0 minutes")."""
    if moment is None:
        return ""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, depth=1)} ago"
