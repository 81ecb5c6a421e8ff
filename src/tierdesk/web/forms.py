"""Forms of the workspace: parse and validate input shapes; the commands decide the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from tierdesk.accounts.models import User
from tierdesk.accounts.selectors import with_email
from tierdesk.tickets.models import Priority, Status, TicketType
from tierdesk.tickets.models.enums import OPEN_STATUSES
from tierdesk.tickets.selectors import TicketFilters
from tierdesk.web import lockout
from tierdesk.web.ticket_forms import set_choices


def username_for_login(typed: str) -> str:
    """A username as typed, or the username of the one account with that email address."""
    typed = typed.strip()
    if "@" in typed and not User.objects.filter(username=typed).exists():
        matches = list(with_email(typed).values_list("username", flat=True)[:2])
        if len(matches) == 1:
            return matches[0]
    return typed


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": (
            "Too many failed sign-ins for this account from your address. "
            "Try again after %(until)s, or reset your password."
        ),
    }

    def clean(self) -> dict[str, Any]:
        typed = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if typed and password:
            ip = lockout.client_ip(self.request)
            until = lockout.locked_until(typed, ip)
            if until is not None:
                raise ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"until": timezone.localtime(until).strftime("%H:%M %Z")},
                )
            self.user_cache = authenticate(
                self.request, username=username_for_login(typed), password=password
            )
            if self.user_cache is None:
                lockout.record_failure(typed, ip)
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
            lockout.clear(typed, ip)
        return self.cleaned_data


OPEN_CHOICE = "open"


class QueueFilterForm(forms.Form):
    """The query string of a queue page. Unknown values are form errors, never 500s."""

    status = forms.MultipleChoiceField(
        required=False, choices=[(OPEN_CHOICE, "Any open status"), *Status.choices]
    )
    priority = forms.ChoiceField(required=False, choices=[("", "Any"), *Priority.choices])
    type = forms.ChoiceField(required=False, choices=[("", "Any"), *TicketType.choices])
    team = forms.SlugField(required=False, max_length=64)
    tier = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any"), (1, "L1"), (2, "L2"), (3, "L3")],
    )
    assignee = forms.CharField(required=False, max_length=150)
    requester = forms.CharField(required=False, max_length=150)
    unassigned = forms.BooleanField(required=False)
    breaching = forms.BooleanField(required=False)
    q = forms.CharField(required=False, max_length=200, label="Search")
    order = forms.ChoiceField(
        required=False, choices=[("newest", "Newest first"), ("due", "SLA due first")]
    )
    cursor = forms.CharField(required=False, max_length=200)

    def filters(self, **preset: Any) -> TicketFilters:
        data = {**self.cleaned_data, **preset}
        statuses = [s for s in data.get("status") or [] if s != OPEN_CHOICE]
        if not statuses:
            statuses = list(OPEN_STATUSES)
        return TicketFilters(
            status=statuses,
            type=data.get("type") or None,
            priority=data.get("priority") or None,
            tier=data.get("tier"),
            team=data.get("team") or None,
            assignee=data.get("assignee") or None,
            requester=data.get("requester") or None,
            q=data.get("q") or None,
            unassigned=bool(data.get("unassigned")),
            breaching=bool(data.get("breaching")),
        )


class SavedFilterForm(forms.Form):
    name = forms.CharField(max_length=80, label="Name this view")
    query = forms.CharField(max_length=1000, required=False, widget=forms.HiddenInput)


BULK_ACTIONS = [("assign", "Assign"), ("transition", "Change status"), ("escalate", "Escalate")]


class BulkForm(forms.Form):
    """Rows are ``KEY:VERSION`` so every ticket is changed against the version shown."""

    keys = forms.MultipleChoiceField(required=True, choices=())
    action = forms.ChoiceField(choices=BULK_ACTIONS)
    assignee = forms.CharField(required=False, max_length=150)
    to = forms.ChoiceField(required=False, choices=[("", "—"), *Status.choices])
    to_tier = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), (1, "L1"), (2, "L2"), (3, "L3")],
    )
    note = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea)
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        posted = self.data.getlist("keys") if hasattr(self.data, "getlist") else []
        set_choices(self, "keys", [(value, value) for value in posted])

    def rows(self) -> list[tuple[str, int | None]]:
        out = []
        for value in self.cleaned_data["keys"]:
            key, _, version = value.partition(":")
            out.append((key, int(version) if version.isdigit() else None))
        return out
