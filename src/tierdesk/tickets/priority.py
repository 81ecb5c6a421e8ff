"""Priority from impact × urgency (ITIL), through the configurable matrix."""

from __future__ import annotations

from tierdesk.org import policies


def derive_priority(impact: str, urgency: str) -> str:
    return policies.priority_matrix()[impact][urgency]
