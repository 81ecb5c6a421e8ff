"""Quoted history and signatures are trimmed from replies; new text and forwards are kept."""

from __future__ import annotations

import pytest

from tierdesk.intake_email.mime.quotes import trim_reply
from tierdesk.intake_email.parsing import parse_message

GMAIL = """Thanks, that fixed it.

On Mon, Jan 8, 2024 at 10:15 AM Helpdesk <help@example.com> wrote:
> Please restart the VPN client.
>
> > Original problem: VPN drops every hour.
"""

GMAIL_WRAPPED = """Still broken after the restart.

On Mon, Jan 8, 2024 at 10:15 AM Tierdesk Support Team at Example Corp <
help@example.com> wrote:

> Please restart the VPN client.
"""

APPLE = """Works now!

Sent from my iPhone

> On 8 Jan 2024, at 10:15, Helpdesk <help@example.com> wrote:
>
> Please restart the VPN client.
"""

OUTLOOK_ORIGINAL = """Yes, the printer on floor 3.

-----Original Message-----
From: Helpdesk <help@example.com>
Sent: Monday, January 8, 2024 10:15 AM
To: Alice <alice@example.com>
Subject: RE: [TD-42] Printer

Which printer?
"""

OUTLOOK_HEADER_BLOCK = """Yes, the printer on floor 3.

From: Helpdesk <help@example.com>
Sent: Monday, January 8, 2024 10:15 AM
To: Alice <alice@example.com>
Subject: RE: [TD-42] Printer

Which printer?
"""

OUTLOOK_WEB = """Yes, the printer on floor 3.

________________________________
From: Helpdesk <help@example.com>
Sent: Monday, 8 January 2024 10:15
To: Alice
Subject: [TD-42] Printer

Which printer?
"""

GERMAN = """Danke, geht wieder.

Am 08.01.2024 um 10:15 schrieb Helpdesk <help@example.com>:
> Bitte starten Sie den VPN-Client neu.
"""

INTERLEAVED = """On Mon, Jan 8, 2024 at 10:15 AM Helpdesk <help@example.com> wrote:
> Which printer?
The one on floor 3.

> Since when?
Since Monday.
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GMAIL, "Thanks, that fixed it."),
        (GMAIL_WRAPPED, "Still broken after the restart."),
        (APPLE, "Works now!"),
        (OUTLOOK_ORIGINAL, "Yes, the printer on floor 3."),
        (OUTLOOK_HEADER_BLOCK, "Yes, the printer on floor 3."),
        (OUTLOOK_WEB, "Yes, the printer on floor 3."),
        (GERMAN, "Danke, geht wieder."),
        (INTERLEAVED, "The one on floor 3.\n\nSince Monday."),
    ],
    ids=[
        "gmail",
        "gmail-wrapped",
        "apple",
        "outlook-original",
        "outlook-header-block",
        "outlook-web",
        "german",
        "interleaved",
    ],
)
def test_quoted_history_is_trimmed(text: str, expected: str) -> None:
    assert trim_reply(text.strip("\n")) == expected


def test_signature_after_the_delimiter_is_trimmed() -> None:
    text = "Please reset my password.\n\n-- \nAlice Example\nFinance, room 4.12\n+1 555 0100"

    assert trim_reply(text) == "Please reset my password."


def test_unprefixed_history_under_a_dated_attribution_is_trimmed() -> None:
    text = "New answer.\n\nOn 2024-01-08 10:15, Helpdesk wrote:\nOld text that was not quoted."

    assert trim_reply(text) == "New answer."


def test_text_that_merely_mentions_writing_is_kept() -> None:
    text = "On Monday I wrote:\nthe server is down again."

    assert trim_reply(text) == text


def test_forwarded_content_is_kept() -> None:
    text = (
        "FYI, see below.\n-- \nAlice\n\n---------- Forwarded message ---------\n"
        "From: Vendor <vendor@example.com>\nDate: Mon, Jan 8, 2024 at 9:00 AM\n"
        "Subject: Outage\n\n> quoted inside the forward stays\nDetails of the outage."
    )

    trimmed = trim_reply(text)

    assert trimmed.startswith("FYI, see below.\n\n---------- Forwarded message ---------")
    assert "> quoted inside the forward stays" in trimmed
    assert "Alice" not in trimmed


def test_apple_forward_marker_is_kept() -> None:
    text = "Look at this.\n\nBegin forwarded message:\n\nFrom: x@example.com\nSubject: y\n\nz"

    assert trim_reply(text) == text


def test_nothing_to_trim_returns_the_text_unchanged() -> None:
    text = "Line one  \n\n\n\nLine two with trailing spaces   "

    assert trim_reply(text) == text


def test_a_reply_that_is_only_quoted_falls_back_to_the_whole_text() -> None:
    text = "> everything\n> is quoted"

    assert trim_reply(text) == text
    assert trim_reply("") == ""


def test_parsed_reply_text_trims_an_html_only_gmail_reply() -> None:
    html = (
        '<div dir="ltr">Thanks, fixed.</div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">On Mon, Jan 8, 2024 at 10:15 AM Helpdesk '
        "&lt;help@example.com&gt; wrote:<br></div>"
        "<blockquote>Please restart the VPN client.</blockquote></div>"
    )
    raw = (
        "From: alice@example.com\r\nSubject: Re: [TD-1] VPN\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + html
    ).encode()

    parsed = parse_message(raw)

    assert "Please restart" in parsed.text
    assert parsed.reply_text == "Thanks, fixed."


def test_parsed_reply_text_equals_text_for_a_first_message() -> None:
    raw = b"From: alice@example.com\r\nSubject: VPN\r\n\r\nThe VPN drops every hour.\r\n"

    parsed = parse_message(raw)

    assert parsed.reply_text == parsed.text == "The VPN drops every hour."
