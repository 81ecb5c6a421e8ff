"""Read queries about people."""

from __future__ import annotations

import functools

from django.db import connection
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


def username_taken(username: str) -> bool:
    """Whether an account has this exact username. One statement built once: every new
    sender of mail asks twice (picking a free name, then creating the account), and the
    ORM's ``exists()`` cost more to compile than the lookup on the unique index."""
    with connection.cursor() as cursor:
        cursor.execute(_username_taken_sql(), [username])
        return cursor.fetchone() is not None


@functools.cache
def _username_taken_sql() -> str:
    quote = connection.ops.quote_name
    return f"SELECT 1 FROM {quote(User._meta.db_table)} WHERE {quote('username')} = %s"
