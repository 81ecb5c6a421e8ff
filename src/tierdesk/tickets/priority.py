"""Priority from impact × urgency (ITIL), through the configurable matrix."""

from __future__ import annotations

from tierdesk.org import policies


def derive_priority(
    impact: str, urgency: str, matrix: dict[str, dict[str, str]] | None = None
) -> str:
    return (matrix or policies.priority_matrix())[impact][urgency]


def is_major(ticket: object) -> bool:
    """A P1 incident (or security incident) is a major incident."""
    return getattr(ticket, "priority", None) == "P1" and getattr(ticket, "type", None) in (
        "incident",
        "security_incident",
    )
