"""Portal forms: input shapes only. The ticket commands validate and decide."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms

from tierdesk.org.models import Service

IMPACT_CHOICES = [
    ("low", "Just me"),
    ("medium", "My team"),
    ("high", "Many people"),
]
URGENCY_CHOICES = [
    ("low", "It can wait"),
    ("medium", "Today"),
    ("high", "Right now"),
]
FORM_TOKEN_MAX = 64


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


class PortalForm(forms.Form):
    """Labels are questions or nouns; a colon after them reads badly ("affected?:")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SignInForm(PortalForm):
    email = forms.EmailField(
        label="Your work email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class NewTicketForm(PortalForm):
    title = forms.CharField(
        label="Summary",
        max_length=200,
        error_messages={"required": "Enter a short summary."},
        help_text="A few words, for example “Cannot print on the 3rd floor”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        label="What happened?",
        max_length=20_000,
        error_messages={"required": "Describe what happened or what you need."},
        help_text="What were you doing, what did you expect, and what happened instead? "
        "Include any error message.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    service = forms.ModelChoiceField(
        label="Affected service",
        queryset=Service.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="I don't know / something else",
    )
    impact = forms.ChoiceField(
        label="How many people are affected?",
        choices=IMPACT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how many people are affected."},
    )
    urgency = forms.ChoiceField(
        label="How soon does it hurt?",
        choices=URGENCY_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how soon it hurts."},
    )
    # Sent back with the form and used as the Idempotency-Key: a second submit of the same
    # page (double click, reload after a timeout) replays the first ticket.
    form_token = forms.CharField(max_length=FORM_TOKEN_MAX, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", new_form_token())

    def clean_form_token(self) -> str:
        token: str = self.cleaned_data["form_token"]
        if not token.isprintable() or not token.strip():
            raise forms.ValidationError("Reload the page and send the form again.")
        return token


class ReplyForm(PortalForm):
    body = forms.CharField(
        label="Your message",
        max_length=20_000,
        error_messages={"required": "Write your message before sending it."},
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class MoveForm(forms.Form):
    """A requester's status change; ``version`` makes a click on a stale page fail safely."""

    to = forms.CharField(max_length=32)
    version = forms.IntegerField(min_value=1)
