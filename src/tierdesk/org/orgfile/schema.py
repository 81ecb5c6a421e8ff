"""Shape checks of an org file: known keys, field types, per-entry rules, unique identities.

Everything here looks at the file alone; references to other entries and to the database are
checked in :mod:`.checks`. Every problem is collected (never just the first) with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tierdesk.core.errors import InvalidInput
from tierdesk.org import policies as desk_policies
from tierdesk.org.orgfile.fields import SECTIONS, TOP_LEVEL, Bad
from tierdesk.org.orgfile.loader import Document, Issue, child
from tierdesk.routing.rules import validate_conditions
from tierdesk.slas.calendar import BusinessCalendar, CalendarError
from tierdesk.tickets.models.enums import Channel, Priority, TicketType

_PATH_PREFIX = re.compile(r"([A-Za-z_][\w.\[\]]*): (.+)", re.DOTALL)
_CONDITION_VALUES = {
    "type": TicketType.values,
    "channel": Channel.values,
    "priority": Priority.values,
}


@dataclass
class Item:
    """One entry of a list section: where it is, and its canonical values."""

    path: str
    values: dict[str, Any]


@dataclass
class Spec:
    """The validated file. ``listed`` holds the top-level keys present: only those kinds are
    synchronised (an absent kind is left as it is in the database)."""

    doc: Document
    listed: set[str] = field(default_factory=set)
    sections: dict[str, list[Item]] = field(default_factory=dict)
    policies: dict[str, Any] = field(default_factory=dict)
    #: Identities (slug, username…) of entries that failed their own checks: references to
    #: them count as resolved, so one typo does not also fail everything pointing at it.
    broken: dict[str, set[str]] = field(default_factory=dict)

    def items(self, section: str) -> list[Item]:
        return self.sections.get(section, [])


class Collector:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.issues: list[Issue] = []

    def add(self, path: str, message: str, *, key: bool = False) -> None:
        line = self.doc.key_line(path) if key else self.doc.line(path)
        self.issues.append(Issue(line, path, message))

    def add_prefixed(self, base: str, message: str) -> None:
        """Report a message such as ``hours.tue[1]: bad`` at ``base.hours.tue[1]``'s line."""
        match = _PATH_PREFIX.fullmatch(message)
        if match:
            self.add(child(base, match[1]), match[2])
        else:
            self.add(base, message)


def parse(doc: Document) -> tuple[Spec, list[Issue]]:
    spec, out = Spec(doc), Collector(doc)
    data = doc.data
    if not isinstance(data, dict):
        out.add("", "expected a mapping with at least 'teams'")
        return spec, out.issues
    for key in data:
        if key not in TOP_LEVEL:
            out.add(key, f"unknown section; known: {', '.join(TOP_LEVEL)}", key=True)
    if "teams" not in data:
        out.add("", "missing required section 'teams'")
    for section in TOP_LEVEL:
        if section not in data:
            continue
        spec.listed.add(section)
        if section == "policies":
            spec.policies = _policies(data[section], out)
        else:
            spec.sections[section] = _section(section, data[section], out, spec)
    _unique(spec, out)
    return spec, out.issues


def _policies(value: Any, out: Collector) -> dict[str, Any]:
    if not isinstance(value, dict):
        out.add("policies", "expected a mapping of policy name to value")
        return {}
    valid: dict[str, Any] = {}
    for key, setting in value.items():
        path = child("policies", key)
        if key not in desk_policies.DEFAULTS:
            known = ", ".join(sorted(desk_policies.DEFAULTS))
            out.add(path, f"unknown policy; known: {known}", key=True)
            continue
        try:
            valid[key] = desk_policies.validate(key, setting)
        except InvalidInput as exc:
            out.add_prefixed("policies", exc.message)
    return valid


def _section(section: str, value: Any, out: Collector, spec: Spec) -> list[Item]:
    if not isinstance(value, list):
        out.add(section, "expected a list (write [] for none)")
        return []
    fields, items = SECTIONS[section], []
    for index, entry in enumerate(value):
        path = child(section, index)
        if not isinstance(entry, dict):
            out.add(path, "expected a mapping")
            continue
        values: dict[str, Any] = {}
        ok = True
        for key in entry:
            if key not in fields:
                out.add(child(path, key), f"unknown key; use {', '.join(fields)}", key=True)
                ok = False
        for name, rule in fields.items():
            if name not in entry:
                if rule.required:
                    out.add(path, f"missing required field {name!r}")
                    ok = False
                values[name] = rule.fresh_default()
                continue
            try:
                values[name] = rule.check(entry[name])
            except Bad as bad:
                out.add(child(path, name) + bad.sub, bad.message)
                ok = False
        if ok and _ENTRY_RULES.get(section, _no_rule)(values, path, out):
            items.append(Item(path, values))
        elif isinstance(ident := values.get(next(iter(fields))), str):
            spec.broken.setdefault(section, set()).add(ident)
    return items


def _no_rule(values: dict[str, Any], path: str, out: Collector) -> bool:
    return True


def _calendar(values: dict[str, Any], path: str, out: Collector) -> bool:
    raw = {k: values[k] for k in ("time_zone", "hours", "holidays", "closed_dates", "always_open")}
    if raw["time_zone"] is None:
        out.add(path, "missing required field 'time_zone'")
        return False
    try:
        calendar = BusinessCalendar.from_spec(raw)
    except CalendarError as exc:
        out.add_prefixed(path, str(exc))
        return False
    values.update(calendar.to_spec())
    return True


def _team(values: dict[str, Any], path: str, out: Collector) -> bool:
    kind, level = values["kind"], values["level"]
    if kind == "service_desk":
        values["level"] = level = 1 if level is None else level
        if level != 1:
            out.add(child(path, "level"), "a service_desk team is level 1")
            return False
    elif kind == "tier":
        if level not in (2, 3):
            out.add(child(path, "level") if level else path, "a tier team needs level 2 or 3")
            return False
    elif level is not None:
        out.add(child(path, "level"), f"a {kind} team has no level (only tiers do)")
        return False
    if values["default_for_tier"] and level is None:
        out.add(child(path, "default_for_tier"), f"a {kind} team belongs to no tier")
        return False
    return True


def _ola(values: dict[str, Any], path: str, out: Collector) -> bool:
    if (values["tier"] is None) == (values["team"] is None):
        out.add(path, "give exactly one of tier or team")
        return False
    return True


def _sla(values: dict[str, Any], path: str, out: Collector) -> bool:
    if values["resolution_minutes"] < values["first_response_minutes"]:
        out.add(child(path, "resolution_minutes"), "must not be shorter than the first response")
        return False
    return True


def _rule(values: dict[str, Any], path: str, out: Collector) -> bool:
    where = child(path, "when")
    try:
        when = validate_conditions(values["when"], where=where)
    except InvalidInput as exc:
        out.add_prefixed("", exc.message)
        return False
    ok = True
    for key, allowed in _CONDITION_VALUES.items():
        for value in when.get(key, []):
            if value not in allowed:
                out.add(child(where, key), f"{value!r} is not one of {', '.join(allowed)}")
                ok = False
    if not when:
        out.add(where, "needs at least one condition (a rule matching everything hides the rest)")
        ok = False
    actions = ("team", "set_category", "set_priority", "assignee", "watchers")
    if not any(values[action] for action in actions):
        out.add(path, f"does nothing: give at least one of {', '.join(actions)}")
        ok = False
    values["when"] = when
    values["watchers"] = sorted(values["watchers"])
    return ok


_ENTRY_RULES = {
    "calendars": _calendar,
    "teams": _team,
    "ola_policies": _ola,
    "sla_policies": _sla,
    "routing_rules": _rule,
}


def identity(section: str, values: dict[str, Any]) -> tuple[Any, ...]:
    """What names an entry: the same identity in file and database means the same row."""
    if section == "sla_policies":
        return (values["priority"], values["type"] or "", values["organisation"] or "")
    if section == "ola_policies":
        target = ("team", values["team"]) if values["team"] else ("tier", values["tier"])
        return (*target, values["priority"])
    first = next(iter(SECTIONS[section]))  # slug, username, name, priority or address
    return (values[first],)


def key_text(section: str, key: tuple[Any, ...]) -> str:
    if section == "sla_policies":
        priority, kind, org, *extra = key
        parts = [priority, kind or ("*" if org else ""), org]
        return "/".join(p for p in parts if p) + "".join(extra)
    if section == "ola_policies":
        target, value, priority, *extra = key
        return f"{'L' if target == 'tier' else ''}{value}/{priority}" + "".join(extra)
    return "".join(str(part) for part in key[:1]) + "".join(f" {p}" for p in key[1:])


def _unique(spec: Spec, out: Collector) -> None:
    emails: dict[str, str] = {}
    for section, items in spec.sections.items():
        seen: dict[tuple[Any, ...], str] = {}
        for item in items:
            key = identity(section, item.values)
            if key in seen:
                out.add(
                    item.path,
                    f"{key_text(section, key)} is already defined at "
                    f"{seen[key]} (line {spec.doc.line(seen[key])})",
                )
            seen.setdefault(key, item.path)
            if section == "people":
                address = item.values["email"]
                if address in emails:
                    out.add(child(item.path, "email"), f"also used by {emails[address]}")
                emails.setdefault(address, item.path)
    domains: dict[str, str] = {}
    for item in spec.items("requester_organisations"):
        for i, name in enumerate(item.values["domains"]):
            if name in domains and domains[name] != item.values["slug"]:
                out.add(
                    f"{item.path}.domains[{i}]", f"also a domain of organisation {domains[name]!r}"
                )
            domains.setdefault(name, item.values["slug"])
