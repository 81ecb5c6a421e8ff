"""Read queries about people."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Lower

from tierdesk.accounts.models import User


def with_email(address: str) -> QuerySet[User]:
    """The accounts whose email address is ``address`` in any letter case.

    Found through the index on the lower-cased address: ``email__iexact`` compiles to a
    case-folding expression no index matches, and every unknown sender of a mail or a call
    scanned all the users.
    """
    return User.objects.alias(email_lower=Lower("email")).filter(
        email_lower=address.strip().lower()
    )
