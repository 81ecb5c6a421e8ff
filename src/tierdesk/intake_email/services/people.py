"""Who wrote: the person behind a mail address, created as a requester when new."""

from __future__ import annotations

import functools
import re

from django.db import IntegrityError, connection, transaction

from tierdesk.accounts.models import Role, User
from tierdesk.accounts.selectors import username_taken
from tierdesk.accounts.services import create_user
from tierdesk.core.errors import Conflict, InvalidInput
from tierdesk.core.rows import from_row, select_list
from tierdesk.intake_email.services.lookups import account_for
from tierdesk.org.models import RequesterOrganisation

USERNAME_MAX = 150
_UNSAFE_RE = re.compile(r"[^a-z0-9@.+_-]")


class SenderProblem(Exception):
    """The address cannot stand for a person (inactive account, unusable address)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def find_person(address: str) -> User | None:
    account = account_for(address)
    return account if account is not None and account.is_active else None


def username_for(address: str) -> str:
    """A username from the address: lower-case, only characters usernames allow, and made
    unique with a counter. Never derived from the display name (anyone can type any)."""
    base = _UNSAFE_RE.sub("_", address.lower())[: USERNAME_MAX - 6].strip("._-") or "sender"
    candidate = base
    counter = 1
    while username_taken(candidate):
        counter += 1
        candidate = f"{base}-{counter}"
    return candidate


def organisation_for(address: str) -> RequesterOrganisation | None:
    """The organisation whose domain list holds this address's exact domain, if one does."""
    domain = address.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    # Every new sender asks: one statement built once, not compiled by the ORM each time.
    with connection.cursor() as cursor:
        cursor.execute(_organisations_sql())
        rows = cursor.fetchall()
    for row in rows:
        organisation = from_row(RequesterOrganisation, row)
        domains = organisation.domains if isinstance(organisation.domains, list) else []
        if domain in {str(d).strip().lower() for d in domains}:
            return organisation
    return None


@functools.cache
def _organisations_sql() -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT {select_list('o', RequesterOrganisation)}"
        f" FROM {quote(RequesterOrganisation._meta.db_table)} o ORDER BY o.{quote('id')}"
    )


def _split_name(name: str) -> tuple[str, str]:
    cleaned = " ".join(name.replace('"', " ").split())[:150]
    if not cleaned or "@" in cleaned:
        return "", ""
    first, _, last = cleaned.partition(" ")
    return first, last


def person_for(address: str, display_name: str = "") -> User:
    """The sender's account; a new requester account when the address is unknown.

    An address that belongs only to deactivated accounts is refused rather than given a
    fresh account, so an offboarded person's mail waits for an admin.
    """
    existing = account_for(address)
    if existing is not None:
        if not existing.is_active:
            raise SenderProblem("sender_inactive", f"{address} belongs to a deactivated account")
        return existing
    first, last = _split_name(display_name)
    organisation = organisation_for(address)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return create_user(
                    username_for(address),
                    email=address,
                    role=Role.REQUESTER,
                    first_name=first,
                    last_name=last,
                    organisation=organisation,
                )
        except InvalidInput as exc:
            raise SenderProblem("invalid_sender", f"{address}: {exc}") from None
        except (Conflict, IntegrityError):
            # Another process created this person or took the username first.
            existing = find_person(address)
            if existing is not None:
                return existing
    raise SenderProblem("invalid_sender", f"could not create an account for {address}")
