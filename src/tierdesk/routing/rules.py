"""Routing-rule conditions: validation and matching, as pure functions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tierdesk.core.errors import InvalidInput

CONDITION_KEYS = ("type", "category", "service", "channel", "priority", "organisation", "keywords")


@dataclass(frozen=True)
class Draft:
    """What routing may look at: a ticket about to be created."""

    type: str
    category: str
    service: str | None  # slug
    channel: str
    priority: str
    organisation: str | None  # slug
    text: str


def validate_conditions(conditions: Any, where: str = "conditions") -> dict[str, list[str]]:
    """Normalise conditions to ``{key: [values]}``; raise naming the bad key."""
    if not isinstance(conditions, Mapping):
        raise InvalidInput(f"{where}: expected a mapping of condition to value(s)", field=where)
    normalised: dict[str, list[str]] = {}
    for key, value in conditions.items():
        if key not in CONDITION_KEYS:
            raise InvalidInput(
                f"{where}.{key}: unknown condition; use {', '.join(CONDITION_KEYS)}", field=where
            )
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise InvalidInput(
                f"{where}.{key}: expected a non-empty text or list of texts", field=where
            )
        normalised[key] = [
            v.strip().lower() if key in ("keywords", "category") else v.strip() for v in values
        ]
    return normalised


_WORD = re.compile(r"\w+", re.UNICODE)


def matches(conditions: Mapping[str, list[str]], draft: Draft) -> bool:
    for key, values in conditions.items():
        if key == "keywords":
            words = {w.lower() for w in _WORD.findall(draft.text)}
            text = draft.text.lower()
            if not any((v in words) if " " not in v else (v in text) for v in values):
                return False
            continue
        actual = getattr(draft, key)
        if actual is None:
            return False
        if (actual.lower() if key == "category" else actual) not in values:
            return False
    return True
