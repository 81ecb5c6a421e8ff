"""Bounce, auto-reply and bulk classification, loop detection and authentication results."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierdesk.intake_email.parsing import parse_message

FLANKER = Path(__file__).parent / "data" / "mail" / "flanker-mail-fixtures" / "messages"
HUMAN = "From: Alice <alice@example.com>\nTo: help@example.com\nSubject: VPN down"


def _mail(headers: str, body: str = "Hello\r\n") -> bytes:
    return headers.strip("\n").replace("\n", "\r\n").encode("utf-8") + b"\r\n\r\n" + body.encode()


@pytest.mark.parametrize("path", sorted((FLANKER / "bounce").glob("*.eml")), ids=lambda p: p.name)
def test_flanker_bounces_are_classified_as_bounces(path: Path) -> None:
    assert parse_message(path.read_bytes()).auto_kind == "bounce"


@pytest.mark.parametrize(
    "path", sorted((FLANKER / "complaints").glob("*.eml")), ids=lambda p: p.name
)
def test_feedback_loop_complaints_are_classified_with_bounces(path: Path) -> None:
    assert parse_message(path.read_bytes()).auto_kind == "bounce"


def test_read_receipts_are_auto_replies() -> None:
    raw = (FLANKER / "disposition-notification.eml").read_bytes()

    assert parse_message(raw).auto_kind == "auto_reply"


def test_mail_written_by_a_person_has_no_auto_kind() -> None:
    parsed = parse_message(_mail(HUMAN + "\nAuto-Submitted: no\nX-Autoreply: no"))

    assert parsed.auto_kind is None
    assert not parsed.loop_detected
    assert not parsed.authentication_failed
    assert not parsed.auto_response_suppressed


@pytest.mark.parametrize(
    "extra",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Auto-Submitted: auto-replied; owner-email=alice@example.com",
        "Auto-Submitted: Auto-Notified (vacation)",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
        "Precedence: auto_reply",
        "Return-Path: <>",
        "X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: alice@example.com",
    ],
)
def test_automatic_replies_are_recognised(extra: str) -> None:
    assert parse_message(_mail(f"{HUMAN}\n{extra}")).auto_kind == "auto_reply"


@pytest.mark.parametrize(
    "extra",
    [
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: list",
        "List-Id: Announcements <announce.example.com>",
        "List-Unsubscribe: <mailto:leave@example.com>",
    ],
)
def test_bulk_and_list_mail_is_recognised(extra: str) -> None:
    assert parse_message(_mail(f"{HUMAN}\n{extra}")).auto_kind == "bulk"


@pytest.mark.parametrize(
    "headers",
    [
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\nSubject: Undelivered",
        "From: postmaster@example.com\nSubject: Undeliverable",
        "From: MAILER-DAEMON (Mail Delivery System)\nSubject: failure",
        f"{HUMAN}\nX-Failed-Recipients: nobody@example.com",
        f"{HUMAN}\nReturn-Path: <MAILER-DAEMON>",
    ],
)
def test_bounces_are_recognised_by_sender(headers: str) -> None:
    assert parse_message(_mail(headers)).auto_kind == "bounce"


def test_a_delivery_status_report_is_a_bounce_whoever_sends_it() -> None:
    raw = _mail(
        HUMAN + "\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        "--r\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; x@example.com\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n--r--\r\n",
    )

    parsed = parse_message(raw)

    assert parsed.auto_kind == "bounce"
    assert parsed.text == "Could not deliver."


def test_a_bounce_that_also_says_auto_submitted_is_a_bounce() -> None:
    headers = "From: MAILER-DAEMON@example.com\nAuto-Submitted: auto-replied\nPrecedence: bulk"

    assert parse_message(_mail(headers)).auto_kind == "bounce"


def test_response_suppression_alone_is_not_an_auto_reply_but_is_reported() -> None:
    parsed = parse_message(_mail(f"{HUMAN}\nX-Auto-Response-Suppress: DR, OOF, AutoReply"))

    assert parsed.auto_kind is None
    assert parsed.auto_response_suppressed


@pytest.mark.parametrize(
    ("x_loop", "token", "expected"),
    [
        ("tierdesk", "tierdesk", True),
        ("  TierDesk ", "tierdesk", True),
        ("other-desk", "tierdesk", False),
        ("helpdesk@example.com", "helpdesk@example.com", True),
        ("tierdesk-staging", "tierdesk", False),
    ],
)
def test_loop_is_detected_from_our_own_x_loop_token(
    x_loop: str, token: str, expected: bool
) -> None:
    parsed = parse_message(_mail(f"{HUMAN}\nX-Loop: {x_loop}"), own_loop_token=token)

    assert parsed.loop_detected is expected


def test_any_of_several_x_loop_headers_can_match() -> None:
    raw = _mail(f"{HUMAN}\nX-Loop: list@example.com\nX-Loop: tierdesk")

    assert parse_message(raw).loop_detected


@pytest.mark.parametrize(
    ("results", "failed"),
    [
        ("mx.example.com; spf=fail smtp.mailfrom=evil.example", True),
        ("mx.example.com; spf=softfail smtp.mailfrom=x.example", True),
        ("mx.example.com; dkim=permerror header.d=x.example", True),
        ("mx.example.com; dmarc=fail (p=reject) header.from=bank.example", True),
        ("mx.example.com 1; dkim/1=fail header.i=@x.example", True),
        ("mx.example.com; spf=pass smtp.mailfrom=x.example; dkim=pass; dmarc=pass", False),
        ("mx.example.com; spf=neutral; dkim=temperror; dmarc=none", False),
        ("mx.example.com; none", False),
        ("mx.example.com; spf=pass (looked like spf=fail earlier) smtp.mailfrom=x", False),
        ('mx.example.com; dkim=pass reason="spf=fail; not really"', False),
        ("mx.example.com; auth=fail smtp.auth=x", False),
    ],
)
def test_authentication_results_failures_are_detected(results: str, failed: bool) -> None:
    raw = _mail(f"Authentication-Results: {results}\n{HUMAN}")

    assert parse_message(raw).authentication_failed is failed


def test_only_the_topmost_authentication_results_header_is_trusted_by_default() -> None:
    forged_below = _mail(
        "Authentication-Results: mx.example.com; spf=pass; dkim=pass; dmarc=pass\n"
        f"Authentication-Results: attacker.example; spf=fail\n{HUMAN}"
    )
    failing_on_top = _mail(
        "Authentication-Results: mx.example.com; dmarc=fail\n"
        f"Authentication-Results: attacker.example; spf=pass\n{HUMAN}"
    )

    assert not parse_message(forged_below).authentication_failed
    assert parse_message(failing_on_top).authentication_failed


def test_with_a_trusted_authserv_id_only_its_results_count() -> None:
    raw = _mail(
        "Authentication-Results: attacker.example; spf=pass; dkim=pass\n"
        "Authentication-Results: MX.Example.com;\n dkim=fail header.d=bank.example\n"
        f"Authentication-Results: elsewhere.example; dmarc=pass\n{HUMAN}"
    )
    forged = _mail(f"Authentication-Results: attacker.example; spf=fail\n{HUMAN}")

    assert parse_message(raw, trusted_authserv_id="mx.example.com").authentication_failed
    assert not parse_message(raw).authentication_failed
    assert not parse_message(forged, trusted_authserv_id="mx.example.com").authentication_failed
