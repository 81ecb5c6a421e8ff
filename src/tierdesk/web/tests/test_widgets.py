"""The ticket page's selects, written in Python, are the markup Django's templates write."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms

from tierdesk.web import ticket_forms as tf
from tierdesk.web.widgets import QuickSelect

HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"

PEOPLE = [("ann", f"Ann {HOSTILE} — 2 open, on shift"), ("bob", "Bob — 0 open, away")]
TARGETS = [
    ("Tier", [("tier:2", "L2 (routing picks the team)")]),
    ("Team", [("team:l3-db", f"Databases {HOSTILE}"), ("team:x", "X (L3)")]),
]


def stock(form: forms.Form, name: str) -> str:
    """The same field rendered with Django's own ``Select``."""
    field = form.fields[name]
    quick = field.widget
    plain = forms.Select(attrs=quick.attrs)
    plain.choices = quick.choices
    plain.is_required = quick.is_required
    field.widget = plain
    try:
        return str(form[name])
    finally:
        field.widget = quick


def forms_to_check() -> list[tuple[forms.Form, str]]:
    v: dict[str, Any] = {"version": 3}
    return [
        (tf.AssignForm(initial={**v, "assignee": "ann"}, choices=PEOPLE), "assignee"),
        (tf.AssignForm(initial={**v, "assignee": ""}, choices=PEOPLE), "assignee"),
        (tf.AssignForm({"version": "3", "assignee": "nobody"}, choices=PEOPLE), "assignee"),
        (tf.TransitionForm(initial=v, choices=[("resolved", "Resolved")]), "to"),
        (tf.TransitionForm({"version": "x"}, choices=[("resolved", "Resolved")]), "to"),
        (tf.EscalateForm(initial=v, choices=TARGETS), "target"),
        (tf.EscalateForm({"target": "team:l3-db"}, choices=TARGETS), "target"),
        (tf.LinkForm(initial=v), "kind"),
        (tf.FieldsForm(initial={**v, "impact": "high", "urgency": "low"}), "impact"),
        (tf.FieldsForm(initial={**v, "urgency": "medium"}), "urgency"),
        (tf.FieldsForm(initial={**v, "priority": ""}), "priority"),
        (tf.FieldsForm({"priority": "P1"}), "priority"),
    ]


@pytest.mark.parametrize(("form", "name"), forms_to_check())
def test_a_quick_select_writes_what_django_writes(form: forms.Form, name: str) -> None:
    form.is_valid() if form.is_bound else None
    assert isinstance(form.fields[name].widget, QuickSelect)
    assert str(form[name]) == stock(form, name)


def test_a_hostile_label_stays_text() -> None:
    html = str(tf.AssignForm(initial={"version": 1}, choices=PEOPLE)["assignee"])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;" in html
