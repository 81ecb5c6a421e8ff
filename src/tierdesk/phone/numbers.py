"""Phone numbers as the phone channel compares them: pure functions, no database.

"E.164-ish": formatting (spaces, dashes, dots, parentheses) is dropped and a leading ``+`` is
kept; nothing else is rewritten. National and international spellings of one line ("030 …"
and "+49 30 …") stay different numbers, because turning one into the other needs a country
the channel does not know. Internal extensions (a few digits) are valid numbers.
"""

from __future__ import annotations

import re

from tierdesk.core.errors import InvalidInput

RAW_MAX = 40  # accounts.User.phone holds 40 characters
DIGITS_MIN = 2
DIGITS_MAX = 20  # E.164 allows 15; PBXs append extensions
FORMATTING = " -().\t"
_VALID = re.compile(rf"\+?[0-9]{{{DIGITS_MIN},{DIGITS_MAX}}}")


def strip_formatting(raw: str) -> str:
    return raw.translate({ord(c): None for c in FORMATTING})


def normalise(raw: str, field: str = "number") -> str:
    """The comparable form of ``raw``, or :class:`InvalidInput` naming ``field``."""
    if len(raw) > RAW_MAX:
        raise InvalidInput(f"{field} is longer than {RAW_MAX} characters", field=field)
    number = strip_formatting(raw.strip())
    if not _VALID.fullmatch(number):
        raise InvalidInput(
            f"{field}: {raw!r} is not a phone number (digits, an optional leading +, "
            f"{DIGITS_MIN}–{DIGITS_MAX} digits)",
            field=field,
        )
    return number


def looks_like_email(query: str) -> bool:
    return "@" in query


def channel_username(number: str) -> str:
    """Username of a requester the phone channel created for an unknown number."""
    return f"phone-{number}"
