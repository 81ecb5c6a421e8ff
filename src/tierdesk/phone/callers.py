"""Who is on the line: matching a number or address to people, and recording new callers.

Stored phone numbers (``User.phone``) are free text, so they are compared after the same
formatting is stripped in the database as :func:`tierdesk.phone.numbers.normalise` strips in
Python. That comparison cannot use the index on ``phone``: it scans the users that have a
phone number, which is fine for a desk's directory but is why accounts should store numbers
normalised (see the phone channel's report).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Replace

from tierdesk.accounts.models import Role, User
from tierdesk.accounts.selectors import with_email
from tierdesk.accounts.services import create_user
from tierdesk.core.errors import InvalidInput
from tierdesk.phone import numbers

CANDIDATES_MAX = 20
USERNAME_MAX = 150
EMAIL_MAX = 254


@dataclass(frozen=True)
class Match:
    """The people a number or address belongs to; ``person`` only when that is unambiguous."""

    people: list[User]
    person: User | None


def _stored_phone_normalised() -> Replace:
    expression: F | Replace = F("phone")
    for character in numbers.FORMATTING:
        expression = Replace(expression, Value(character), Value(""))
    assert isinstance(expression, Replace)
    return expression


def users_with_number(number: str) -> QuerySet[User]:
    """Active people whose stored phone is ``number`` once formatting is stripped."""
    return (
        User.objects.filter(is_active=True)
        .exclude(phone="")
        .annotate(phone_normalised=_stored_phone_normalised())
        .filter(phone_normalised=number)
        .order_by("pk")
    )


def users_with_email(email: str) -> QuerySet[User]:
    return with_email(email).filter(is_active=True).order_by("pk")


def clean_email(value: str, field: str) -> str:
    email = value.strip()
    try:
        if len(email) > EMAIL_MAX:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"{field}: {value!r} is not an email address", field=field) from None
    return email


def match_number(number: str) -> Match:
    """People with this number. A real person wins over the record the phone channel made
    for the number when it was unknown, so that giving someone that number later makes
    their calls theirs."""
    people = list(users_with_number(number)[: CANDIDATES_MAX + 1])
    real = [p for p in people if p.username != numbers.channel_username(number)]
    chosen = real or people
    return Match(people=people, person=chosen[0] if len(chosen) == 1 else None)


def match_email(email: str) -> Match:
    people = list(users_with_email(email)[: CANDIDATES_MAX + 1])
    return Match(people=people, person=people[0] if len(people) == 1 else None)


def channel_requester(number: str) -> User | None:
    """The requester the phone channel keeps for a number no one (or several people) own.

    The record has the number and no email: no placeholder address is invented, so nothing
    is ever mailed to a made-up mailbox (notifications to it fail as "no email address").
    ``None`` when an administrator deactivated the record: the number is blocked.
    Concurrent calls from one new number create it once (the username is unique).
    """
    username = numbers.channel_username(number)
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing if existing.is_active else None
    try:
        with transaction.atomic():
            user = User(username=username, email="", phone=number, role=Role.REQUESTER)
            user.set_unusable_password()
            user.save()
    except IntegrityError:
        user = User.objects.get(username=username)
        return user if user.is_active else None
    return user


def requester_for(
    caller: str, chosen: User | None = None, field: str = "caller"
) -> tuple[User, str]:
    """The person an agent is talking to, by number or email, and the call's number.

    ``chosen`` is the person the agent picked (among several matches, or someone calling on
    a requester's behalf): it wins over matching. Unknown number → the channel's record for
    it; unknown address → a new requester named by the address (through
    :func:`accounts.services.create_user`, so the usual username and email rules apply).
    Several people → :class:`InvalidInput` naming ``requester``: the agent picks one.
    """
    if numbers.looks_like_email(caller):
        email = clean_email(caller, field)
        if chosen is not None:
            return chosen, number_of(chosen)
        match = match_email(email)
        if match.person is None and not match.people:
            return create_user(email_username(email), email=email, role=Role.REQUESTER), ""
        return _one(match, field), number_of(match.person)
    number = numbers.normalise(caller, field)
    if chosen is not None:
        return chosen, number
    match = match_number(number)
    if match.person is None and not match.people:
        record = channel_requester(number)
        if record is None:
            raise InvalidInput(f"{field}: {number} is blocked", field=field)
        return record, number
    return _one(match, field), number


def email_username(email: str) -> str:
    """A new requester is named by their address, lowercased; one longer than a username
    may be gets a stable name derived from it instead."""
    username = email.lower()
    if len(username) <= USERNAME_MAX:
        return username
    return "email-" + hashlib.sha256(username.encode()).hexdigest()[:24]


def number_of(user: User | None) -> str:
    """The user's phone number normalised, or "" when they have none that parses."""
    if user is None or not user.phone:
        return ""
    try:
        return numbers.normalise(user.phone)
    except InvalidInput:
        return ""


def _one(match: Match, field: str) -> User:
    if match.person is None:
        names = ", ".join(p.username for p in match.people[:CANDIDATES_MAX])
        raise InvalidInput(
            f"{field} matches several people ({names}): pick one as requester", field="requester"
        )
    return match.person
