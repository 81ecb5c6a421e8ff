"""Forms of the ticket page. Each carries the version it was rendered with (``version``), which
the view passes to the command as ``expected_version`` so a concurrent change is refused."""

from __future__ import annotations

from typing import Any

from django import forms

from tierdesk.tickets.models import Level, LinkKind, Priority
from tierdesk.web.widgets import QuickSelect

TEXT_MAX = 100_000
NOTE_MAX = 20_000


def set_choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class ShownVersionForm(forms.Form):
    """The version a page showed, passed to a part the page loads afterwards
    (``?version=``)."""

    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)


class VersionedForm(forms.Form):
    """Base of the page's forms; ``form_name`` keeps element ids unique across the page."""

    form_name = "form"
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{kwargs.get('prefix') or self.form_name}-%s")
        super().__init__(*args, **kwargs)


class ReplyForm(VersionedForm):
    body = forms.CharField(max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 5}))


class AssignForm(VersionedForm):
    form_name = "assign"
    assignee = forms.ChoiceField(required=False, label="Assign to", widget=QuickSelect)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "assignee", [("", "Nobody (unassign)"), *choices])


class TransitionForm(VersionedForm):
    form_name = "transition"
    to = forms.ChoiceField(label="New status", widget=QuickSelect)
    note = forms.CharField(required=False, max_length=NOTE_MAX, label="Note (optional)")

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "to", choices)


class EscalateForm(VersionedForm):
    """``target`` is ``tier:<n>`` (the routing picks the team) or ``team:<slug>``."""

    form_name = "escalate"

    target = forms.ChoiceField(label="Send to", widget=QuickSelect)
    note = forms.CharField(
        max_length=NOTE_MAX,
        label="Handoff note",
        help_text="Required: what was tried, what the next team needs to know.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "target", choices)

    def destination(self) -> dict[str, Any]:
        kind, _, value = self.cleaned_data["target"].partition(":")
        return {"to_tier": int(value)} if kind == "tier" else {"to_team": value}


class LinkForm(VersionedForm):
    form_name = "link"
    kind = forms.ChoiceField(choices=LinkKind.choices, label="Relation", widget=QuickSelect)
    target = forms.CharField(max_length=30, label="Other ticket", help_text="For example TD-42")


class MergeForm(VersionedForm):
    form_name = "merge"
    target = forms.CharField(
        max_length=30, label="Merge into", help_text="This ticket is cancelled as its duplicate."
    )
    note = forms.CharField(required=False, max_length=NOTE_MAX, label="Note (optional)")


class FieldsForm(VersionedForm):
    form_name = "fields"
    impact = forms.ChoiceField(choices=Level.choices, widget=QuickSelect)
    urgency = forms.ChoiceField(choices=Level.choices, widget=QuickSelect)
    priority = forms.ChoiceField(
        required=False,
        choices=[("", "Derived from impact × urgency"), *Priority.choices],
        label="Priority override",
        widget=QuickSelect,
    )
    priority_reason = forms.CharField(
        required=False,
        max_length=2000,
        label="Reason for the override",
        help_text="Required when you override the priority.",
    )
