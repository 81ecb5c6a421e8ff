"""Rendering one notification from its templates, in the recipient's language.

Each kind has three templates under ``notifications/mail/``: ``<kind>.subject.txt``,
``<kind>.txt`` (the plain-text body) and ``<kind>.html`` (the HTML alternative). Texts are
marked for translation, so adding a language is adding a catalogue, not touching code.

A notification may also be owed with its context frozen (:func:`freeze`) and rendered at
delivery from those values (:func:`thaw`): what it says is fixed when it is owed either way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

_SPACES_RE = re.compile(r"\s+")
SUBJECT_MAX = 300
NAME_MAX = 120


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def header_safe(value: str, max_length: int = SUBJECT_MAX) -> str:
    """One line fit for a mail header: CR, LF and every other control or format character
    (bidi overrides included) become a space, runs of space collapse.

    This is what makes header injection impossible: a value can never end a header line.
    """
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in value
    )
    cleaned = _SPACES_RE.sub(" ", cleaned).strip()
    if len(cleaned) > max_length:
        cleaned = cleaned[: max_length - 1].rstrip() + "…"
    return cleaned


def language_for(language: str | None) -> str:
    code = (language or "").strip()
    return code if code and len(code) <= 16 else str(settings.LANGUAGE_CODE)


def render(template: str, context: dict[str, Any], language: str) -> Rendered:
    with translation.override(language):
        subject = render_to_string(f"notifications/mail/{template}.subject.txt", context)
        text = render_to_string(f"notifications/mail/{template}.txt", context)
        html = render_to_string(f"notifications/mail/{template}.html", context)
    return Rendered(subject=header_safe(subject), text=text.strip() + "\n", html=html)


# Plain values survive a JSON round trip unchanged; datetimes are tagged to come back as such.
_PLAIN = (str, int, float, bool, type(None))


def freeze(context: dict[str, Any]) -> dict[str, Any]:
    """A template context as JSON-ready values, captured now.

    Only plain values and datetimes can be frozen: a model instance would be read again at
    delivery, and the notification could then say something that was not true when owed.
    """
    frozen: dict[str, Any] = {}
    for name, value in context.items():
        if isinstance(value, datetime):
            frozen[name] = {"datetime": value.isoformat()}
        elif isinstance(value, _PLAIN):
            frozen[name] = value
        else:
            raise TypeError(f"cannot freeze {name!r}: {type(value).__name__} is not a plain value")
    return frozen


def thaw(frozen: dict[str, Any]) -> dict[str, Any]:
    """The context :func:`freeze` captured, datetimes (with their offset) included."""
    return {
        name: datetime.fromisoformat(value["datetime"]) if isinstance(value, dict) else value
        for name, value in frozen.items()
    }
