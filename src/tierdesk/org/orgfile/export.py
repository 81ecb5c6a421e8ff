"""Writing the current organisation as an org file.

The output lists every kind (an empty one as ``[]``), keys in the documented order, entries in
the order they were created (routing rules by position) and default values left out, so it
is stable across runs and applying it to the same database changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from tierdesk.org.orgfile import state
from tierdesk.org.orgfile.fields import SECTIONS, TOP_LEVEL

HEADER = (
    "# tierdesk org file, exported from the database.\n"
    "# Apply with `tierdesk org apply FILE` (add --dry-run to preview); the format is described\n"
    "# in examples/org.yaml.\n"
)
_CALENDAR_EMPTY: dict[str, Any] = {
    "hours": {},
    "holidays": None,
    "closed_dates": [],
    "always_open": False,
}


class _Dumper(yaml.SafeDumper):
    """Short lists of plain values on one line (``teams: [l1-desk]``), the rest as blocks."""

    def represent_list(self, data: Any) -> yaml.Node:  # type: ignore[override]
        flow = all(isinstance(v, str | int | float | bool) for v in data) and (
            len(repr(data)) <= 80
        )
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _Flow(dict[str, Any]):
    """A mapping written on one line: ``{country: DE, subdivision: BE}``."""


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


_Dumper.add_representer(list, _Dumper.represent_list)
_Dumper.add_representer(_Flow, _represent_flow)


def _entry(section: str, values: dict[str, Any]) -> dict[str, Any]:
    fields = SECTIONS[section]
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        value = values.get(name)
        if section == "calendars" and name in _CALENDAR_EMPTY:
            if value == _CALENDAR_EMPTY[name]:
                continue
            if name == "holidays" and isinstance(value, dict):
                value = _Flow({k: v for k, v in value.items() if v is not None})
        elif not spec.required and value == spec.default:
            continue
        if section == "routing_rules" and name == "when" and isinstance(value, dict):
            value = _Flow(
                {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in value.items()}
            )
        if section == "escalation_policies" and name == "steps" and isinstance(value, list):
            value = [_Flow(step) for step in value]
        out[name] = value
    return out


def _flow_rows(value: Any) -> Any:
    """``priority_matrix`` rows and ``transitions`` stay readable one per line."""
    if isinstance(value, dict):
        return {k: _Flow(v) if isinstance(v, dict) else v for k, v in value.items()}
    return value


def snapshot() -> dict[str, Any]:
    """The organisation as an org-file mapping."""
    readers: dict[str, Callable[[], dict[Any, Any]]] = {
        "calendars": state.calendars,
        "requester_organisations": state.organisations,
        "teams": state.teams,
        "people": state.people,
        "services": state.services,
        "sla_policies": state.sla_policies,
        "ola_policies": state.ola_policies,
        "escalation_policies": state.escalation_policies,
        "routing_rules": state.routing_rules,
        "mail_addresses": state.mail_addresses,
    }
    data: dict[str, Any] = {}
    for section in TOP_LEVEL:
        if section == "policies":
            data[section] = {k: _flow_rows(v) for k, v in state.policies().items()}
            continue
        rows = readers[section]().values()
        data[section] = [_entry(section, row) for row in rows]
    return data


def export_yaml() -> str:
    body = yaml.dump(
        snapshot(),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return HEADER + body
