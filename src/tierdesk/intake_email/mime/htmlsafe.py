"""HTML bodies: sanitising for display, and deriving plain text.

Sanitising uses nh3 (ammonia) with an allow-list: no active content, no forms, no frames, no
``<meta>``/``<base>``/``<link>``, no event handlers, no ``javascript:`` or relative URLs (a
relative ``src`` would hit our own origin with the agent's cookies), only layout-neutral CSS
properties (no ``url()``, no ``position``). Remote images are neutralised: their ``src`` moves
to ``data-remote-src`` so nothing is fetched (no tracking pixels, no IP leak) until an agent
asks to load them; only ``cid:`` and inline ``data:image/*`` sources stay in place.
"""

from __future__ import annotations

import html as html_lib
import re

import nh3

_TAGS = (set(nh3.ALLOWED_TAGS) | {"font", "tfoot", "big", "center"}) - {"map", "area"}
_ATTRIBUTES: dict[str, set[str]] = {
    tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()
}
_ATTRIBUTES.pop("map", None)
_ATTRIBUTES.pop("area", None)
for _tag, _extra in {
    "*": {"style", "title", "dir", "lang"},
    "img": {"title"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "width", "bgcolor"},
    "td": {"valign", "width", "height", "bgcolor", "nowrap"},
    "th": {"valign", "width", "height", "bgcolor", "nowrap"},
    "tr": {"valign", "bgcolor"},
    "div": {"align"},
    "p": {"align"},
}.items():
    _ATTRIBUTES.setdefault(_tag, set()).update(_extra)

_STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style",
    "font-weight", "text-align", "text-decoration", "text-indent", "text-transform",
    "line-height", "letter-spacing", "white-space", "vertical-align", "direction",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left",
    "border-color", "border-style", "border-width", "border-collapse", "border-spacing",
    "width", "height", "max-width", "min-width", "list-style-type",
}  # fmt: skip

_DROP_WITH_CONTENT = {
    "script", "style", "title", "template", "noscript", "iframe", "frame", "frameset",
    "noframes", "noembed", "object", "applet", "embed", "xmp", "plaintext",
}  # fmt: skip

_RISKY_CSS_RE = re.compile(r"url|image|expression|\\|@import", re.I)
_INLINE_IMAGE_RE = re.compile(r"data:image/(?:png|gif|jpeg|jpg|webp|bmp);", re.I)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src") and value[:5].lower() == "data:":
        return value if tag == "img" and _INLINE_IMAGE_RE.match(value) else None
    if attribute == "style" and _RISKY_CSS_RE.search(value):
        # No allowed property takes an image, but CSS escapes and future properties might
        # smuggle one in; a style that even mentions url() goes entirely.
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel="noopener noreferrer nofollow",
    url_schemes={"http", "https", "mailto", "tel", "cid", "data"},
    filter_style_properties=_STYLE_PROPERTIES,
    url_relative="deny",
)

# nh3 serialises canonically: lower-case tag names, every attribute value double-quoted with
# '"' escaped, text '<' escaped, comments dropped. So an <img> tag in its output is exactly
# this shape and a regex over it is sound.
_IMG_TAG_RE = re.compile(r'<img((?:\s+[a-z0-9_:.-]+(?:="[^"]*")?)*)\s*/?>')
# Everything but an inline source moves: browsers read "https:/x", "http:x", " https://x" and
# "https:\\x" all as remote URLs, so matching remote forms would leak; matching safe ones can't.
_REMOTE_SRC_RE = re.compile(r'(\s)src="(?!cid:|data:image/)([^"]*)"', re.I)


def _neutralise_img(match: re.Match[str]) -> str:
    return _REMOTE_SRC_RE.sub(r'\1data-remote-src="\2"', match.group(0))


def sanitize_html(raw: str) -> str:
    """Display-safe HTML fragment from an untrusted HTML body."""
    cleaned = _CLEANER.clean(raw)
    if "<img" in cleaned:
        cleaned = _IMG_TAG_RE.sub(_neutralise_img, cleaned)
    return cleaned


_TEXT_BLOCKS = {
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "table",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr",
}  # fmt: skip
_TEXT_CLEANER = nh3.Cleaner(
    tags=_TEXT_BLOCKS,
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes={},
    strip_comments=True,
    link_rel=None,
)
_TAG_SPLIT_RE = re.compile(r"(<[^>]*>)")
_PARAGRAPHS = {"p", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}


class _TextBuilder:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0

    def newline(self, blank: bool = False) -> None:
        """End the current line; ``blank`` also leaves one empty line (paragraph break)."""
        line = "".join(self.current).rstrip()
        self.current = []
        if line:
            self.lines.append("> " * self.quote_depth + line)
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")

    def line_break(self) -> None:
        """<br>: ends the line, and on an empty line makes an empty line."""
        self.newline(blank=not self.current)

    def text(self) -> str:
        self.newline()
        return "\n".join(self.lines).strip("\n")


def html_to_text(raw: str) -> str:
    """Readable plain text of an HTML body: block elements become line breaks, list items
    get "- ", blockquotes are prefixed with "> " (so quote trimming works on them)."""
    out = _TextBuilder()
    in_pre = 0
    for token in _TAG_SPLIT_RE.split(_TEXT_CLEANER.clean(raw)):
        if not token:
            continue
        if token[0] == "<":
            closing = token.startswith("</")
            name = token.strip("</>").split(" ", 1)[0].lower()
            if name == "blockquote":
                out.newline()
                out.quote_depth = max(0, out.quote_depth + (-1 if closing else 1))
            elif name == "pre":
                out.newline()
                in_pre = max(0, in_pre + (-1 if closing else 1))
            elif name == "li" and not closing:
                out.newline()
                out.current.append("- ")
            elif name in ("td", "th"):
                if not closing and out.current:
                    out.current.append("  ")
            elif name == "br":
                out.line_break()
            elif name in _TEXT_BLOCKS:
                out.newline(blank=closing and name in _PARAGRAPHS)
            continue
        chunk = html_lib.unescape(token).replace("\xa0", " ")
        if in_pre:
            first, *rest = chunk.split("\n")
            out.current.append(first)
            for line in rest:
                out.newline()
                out.current.append(line)
        else:
            chunk = " ".join(chunk.split()) if chunk.strip() else (" " if out.current else "")
            if chunk and chunk != " " and token[:1].isspace() and out.current:
                chunk = " " + chunk
            if chunk and chunk != " " and token[-1:].isspace():
                chunk += " "
            if not out.current:
                chunk = chunk.lstrip()
            out.current.append(chunk)
    return out.text()
