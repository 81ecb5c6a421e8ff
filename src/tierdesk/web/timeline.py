"""One timeline for the ticket page, merged from the audit events and the comments.

Events are the ticket's history in order; a ``comment_added`` event becomes the comment it
names (a public reply or an internal note), every other kind a one-line description. Events
store codes (status values, team slugs); they are turned into labels here, for display only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tierdesk.tickets.models import LinkKind
from tierdesk.tickets.models.enums import STATUS_LABELS
from tierdesk.tickets.selectors import TimelineComment, TimelineEvent

LINK_LABELS = dict(LinkKind.choices)
CLOCK_LABELS = {"first_response": "first-response", "resolution": "resolution"}


@dataclass(frozen=True)
class Entry:
    at: datetime
    style: str  # reply | note | escalation | sla | event  (CSS class and tag)
    tag: str  # visible label, so the style is never the only signal
    actor: str
    text: str
    body: str = ""  # comment body or handoff / transition note, shown as plain text


def _label(value: Any, labels: dict[str, str] | None = None) -> str:
    if value is None or value == "":
        return "nobody"
    if labels and isinstance(value, str):
        return str(labels.get(value, value))
    return str(value)


def _duration(seconds: Any) -> str:
    minutes = int(seconds or 0) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def people_named_in(events: Iterable[TimelineEvent]) -> set[str]:
    """Usernames the events mention (assignments), so the page can show their names."""
    names: set[str] = set()
    for event in events:
        if event.kind == "assigned" or event.field == "assignee":
            names.update(v for v in (event.before, event.after) if isinstance(v, str))
        elif event.kind == "hierarchy_notified":
            names.update(str(u) for u in (event.data or {}).get("recipients") or [])
    return names


def _describe(
    event: TimelineEvent, teams: dict[str, str], people: dict[str, str]
) -> tuple[str, str, str]:
    """(style, tag, text) of a non-comment event."""
    kind, data, after, before = event.kind, event.data or {}, event.after, event.before

    def team(slug: Any) -> str:
        return teams.get(slug, slug) if isinstance(slug, str) else _label(slug)

    def person(username: Any) -> str:
        return people.get(username, username) if isinstance(username, str) else _label(username)

    if kind == "created":
        info = after if isinstance(after, dict) else {}
        return (
            "event",
            "Created",
            f"Opened via {info.get('channel', event.channel)} as {info.get('priority', '?')}, "
            f"routed to {team(info.get('team'))}",
        )
    if kind in ("escalated", "de-escalated"):
        verb = "De-escalated" if kind == "de-escalated" else "Escalated"
        if data.get("direction") == "across":
            verb = "Handed over"
        how = " automatically" if data.get("automatic") else ""
        tiers = f" (L{data.get('from_tier') or '–'} → L{data.get('to_tier') or '–'})"
        spent = f"; {_duration(data.get('seconds_at_previous'))} at the previous team"
        return (
            "escalation",
            verb,
            f"{verb}{how} from {team(before)} to {team(after)}{tiers}{spent}",
        )
    if kind == "sla_breached":
        which = CLOCK_LABELS.get(event.field, event.field)
        return "sla", "SLA breach", f"The {which} target was missed"
    if kind == "sla_warning":
        return "sla", "SLA warning", f"{data.get('percent', '?')}% of the resolution time is used"
    if kind == "ola_breached":
        return (
            "sla",
            "OLA breach",
            f"The tier budget of {team(data.get('team'))} ran out"
            f" ({_duration(data.get('budget_seconds'))})",
        )
    if kind == "hierarchy_notified":
        told = ", ".join(people.get(u, u) for u in data.get("recipients") or []) or "nobody"
        return (
            "sla",
            "Management told",
            f"{data.get('at_percent')}% of the SLA used; notified {told}",
        )
    if kind == "status_changed":
        return (
            "event",
            "Status",
            f"Status {_label(before, STATUS_LABELS)} → {_label(after, STATUS_LABELS)}",
        )
    if kind == "assigned":
        auto = " (automatic)" if data.get("automatic") else ""
        if after:
            return "event", "Assigned", f"Assigned to {person(after)}{auto}"
        return "event", "Assigned", f"Unassigned (was {person(before)})"
    if kind == "priority_overridden":
        return "event", "Priority", f"Priority overridden {before} → {after}"
    if kind == "field_changed":
        labels = STATUS_LABELS if event.field == "status" else None
        shown = {"team": team, "assignee": person}.get(event.field, lambda v: _label(v, labels))
        return (
            "event",
            "Changed",
            f"{event.field.replace('_', ' ').capitalize()}: {shown(before)} → {shown(after)}",
        )
    if kind == "linked" and isinstance(after, dict):
        relation = LINK_LABELS.get(after.get("kind", ""), after.get("kind"))
        if after.get("side") == "in":
            return "event", "Linked", f"{after.get('ticket')} is linked here ({relation})"
        return "event", "Linked", f"{relation} {after.get('ticket')}"
    if kind == "merged":
        return "event", "Merged", f"Merged into {after}"
    if kind == "merged_from":
        return "event", "Merged", f"{after} was merged into this ticket"
    if kind == "routed":
        return "event", "Routed", f"Routed to {team(after)} by rule “{data.get('rule', '?')}”"
    if kind == "first_response":
        return "event", "Responded", "First response given"
    if kind == "major_incident":
        return "sla", "Major incident", "Declared a major incident"
    if kind == "watcher_added":
        return "event", "Watching", f"{after} is now watching"
    return "event", kind.replace("_", " ").capitalize(), kind.replace("_", " ")


def build_timeline(
    events: Iterable[TimelineEvent],
    comments: Iterable[TimelineComment],
    teams: dict[str, str],
    people: dict[str, str],
) -> list[Entry]:
    """Entries in time order; ``teams`` maps slugs and ``people`` usernames to display names."""
    by_id = {c.pk: c for c in comments}
    entries: list[Entry] = []
    shown: set[int] = set()
    for event in events:
        actor = event.actor.display_name if event.actor else "System"
        if event.kind == "comment_added":
            comment = by_id.get(int((event.data or {}).get("comment_id") or 0))
            if comment is None:  # an internal note the viewer may not read
                continue
            shown.add(comment.pk)
            entries.append(_comment_entry(comment))
            continue
        style, tag, text = _describe(event, teams, people)
        entries.append(Entry(event.created_at, style, tag, actor, text, event.note or ""))
    entries.extend(_comment_entry(c) for pk, c in by_id.items() if pk not in shown)
    entries.sort(key=lambda e: e.at)
    return entries


def _comment_entry(comment: TimelineComment) -> Entry:
    if comment.internal:
        return Entry(
            comment.created_at,
            "note",
            "Internal note",
            comment.author.display_name,
            "wrote an internal note",
            comment.body,
        )
    return Entry(
        comment.created_at,
        "reply",
        "Public reply",
        comment.author.display_name,
        "replied to the requester",
        comment.body,
    )
