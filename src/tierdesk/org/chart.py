"""Server-side SVG org chart of the support organisation.

A pure function of plain dataclasses (no Django, no database), so a view, a report mail or the
CLI can all call it and tests can check it by parsing the returned XML.

Every string is treated as hostile: characters that XML 1.0 forbids are dropped, text and
attributes are escaped, and links are limited to relative references and http(s) URLs. The
document uses presentation attributes only (no ``<style>``, no scripts, no external fonts), so
it survives a strict Content-Security-Policy when inlined into a page, and it draws dark text on
white so it prints.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

__all__ = ["ChartMember", "ChartTeam", "render_org_chart", "safe_href"]


@dataclass(frozen=True)
class ChartMember:
    name: str
    role_title: str
    on_shift: bool
    is_lead: bool = False


@dataclass(frozen=True)
class ChartTeam:
    slug: str
    name: str
    kind: str  # "management" | "service_desk" | "tier" | "infrastructure" | "monitoring" | ...
    level: int | None  # 1 for the service desk, 2 or 3 for tier teams, None otherwise
    parent_slug: str | None  # the team this one reports to; drawn as a connector
    lead_name: str | None
    members: tuple[ChartMember, ...]
    open_tickets: int
    breaching: int
    href: str | None  # link to the team's queue: relative, http or https only


BAND_LABELS = ("Management", "Service desk · L1", "L2", "L3", "Specialist teams")
MAX_VISIBLE_MEMBERS = 12  # box lines for members, the "+N more" line included
MAX_ROW_WIDTH = 2600.0  # wider bands wrap into extra rows

FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
INK, MUTED, RED, LINE, ON_SHIFT = "#1a1a1a", "#4d4d4d", "#b3261e", "#8a8a8a", "#1a7f37"
ACCENTS = ("#3d3d8f", "#1f5fbf", "#0b6e69", "#6a3fb5", "#7a5200")  # one per band, >= 4.5:1

LEFT, RIGHT, HEADER = 200.0, 24.0, 84.0  # band-label column, right margin, title block
GAP, H_GAP = 48.0, 24.0  # space above every row (connector lanes run here), between boxes
PAD, NAME_SIZE, TEXT_SIZE, LINE_H = 12.0, 15.0, 12.5, 18.0
MIN_BOX_W, SOFT_MAX_BOX_W, MEMBER_CHARS = 250.0, 420.0, 44

_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_URL_JUNK = re.compile("[\t\n\r]")


def _clean(value: object) -> str:
    """One line of displayable text: XML-illegal characters dropped, whitespace collapsed."""
    return " ".join(_ILLEGAL_XML.sub("", str(value)).split())


def _attrs(**values: object) -> str:
    """Attributes in source order; ``x_y`` becomes ``x-y``; values are cleaned and quoted."""
    parts = []
    for key, value in values.items():
        shown = _num(value) if isinstance(value, float) else _clean(value)
        parts.append(f" {key.rstrip('_').replace('_', '-')}={quoteattr(shown)}")
    return "".join(parts)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def safe_href(href: str | None) -> str | None:
    """The link if it is a relative reference or an http(s) URL, else None.

    Browsers drop tabs and newlines anywhere in a URL and spaces around it
    (``java\\tscript:``), so the check runs on the string normalised the same way, and that
    normalised string is what gets emitted.
    """
    if href is None:
        return None
    url = _URL_JUNK.sub("", _ILLEGAL_XML.sub("", href)).strip(" ")
    if not url or url.startswith(("//", "\\\\", "/\\", "\\/")):
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("", "http", "https") else None


_CHAR_UNITS = {**dict.fromkeys(" ijlft.,:;'|!I()[]", 0.34), **dict.fromkeys("mwMW@%—", 0.98)}


def _text_width(text: str, size: float, *, bold: bool = False) -> float:
    """A deliberately generous estimate: the viewer's font is unknown (DejaVu Sans is wide)."""
    units = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            units += 1.0
        elif not unicodedata.combining(ch):
            units += _CHAR_UNITS.get(ch, 0.72 if ch.isupper() or ch.isdigit() else 0.62)
    return units * size * (1.1 if bold else 1.0)


def _band(team: ChartTeam) -> int:
    """Index into BAND_LABELS; unknown kinds count as specialists, unlevelled tiers as L2."""
    if team.kind == "tier":
        return {1: 1, 3: 3}.get(team.level or 2, 2)
    return {"management": 0, "service_desk": 1}.get(team.kind, 4)


def _shorten(text: str, limit: int = MEMBER_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class _Box:
    team: ChartTeam
    index: int
    lines: list[tuple[str, bool | None]]  # (text, on_shift) per member line; None = "+N more"
    name_size: float
    width: float
    height: float
    x: float = 0.0
    y: float = 0.0
    row: int = 0
    col: int = 0
    parent: _Box | None = None

    @property
    def cx(self) -> float:
        return self.x + self.width / 2


def _make_box(team: ChartTeam, index: int) -> _Box:
    ordered = sorted(team.members, key=lambda m: (not m.is_lead, not m.on_shift))
    shown = ordered if len(ordered) <= MAX_VISIBLE_MEMBERS else ordered[: MAX_VISIBLE_MEMBERS - 1]
    lines: list[tuple[str, bool | None]] = []
    for member in shown:
        text = _shorten(f"{_clean(member.name)} — {_clean(member.role_title)}")
        text += " (lead)" if member.is_lead and "lead" not in text.lower() else ""
        lines.append((text if member.on_shift else f"{text} · away", member.on_shift))
    hidden = ordered[len(shown) :]
    if hidden:
        on = sum(1 for m in hidden if m.on_shift)
        lines.append((f"+{len(hidden)} more ({on} on shift, {len(hidden) - on} away)", None))
    if not lines:
        lines.append(("No members", None))
    name = _clean(team.name)
    name_size = NAME_SIZE
    name_w = _text_width(name, NAME_SIZE, bold=True)
    if name_w > SOFT_MAX_BOX_W - 2 * PAD:  # shrink long names a little before widening
        name_size = max(12.0, NAME_SIZE * (SOFT_MAX_BOX_W - 2 * PAD) / name_w)
        name_w = _text_width(name, name_size, bold=True)
    header = [_lead_line(team), _load_text(team)]
    text_w = max(_text_width(t, TEXT_SIZE) for t in [*header, *(t for t, _ in lines)])
    width = math.ceil(max(MIN_BOX_W, name_w + 2 * PAD, text_w + 2 * PAD + 16))
    height = 84 + len(lines) * LINE_H + PAD / 2
    return _Box(team, index, lines, name_size, float(width), height)


def _lead_line(team: ChartTeam) -> str:
    return f"Lead: {_shorten(_clean(team.lead_name or '')) or '—'}"


def _load_text(team: ChartTeam) -> str:
    return f"{max(0, int(team.open_tickets))} open · {max(0, int(team.breaching))} breaching"


def _order_keys(
    band: list[int], parent_of: dict[int, int], pos: dict[int, float]
) -> dict[int, tuple[float, ...]]:
    """Barycentre sort keys: under the parent's position in an earlier band; a child of a team
    in the same band directly after that parent (depth first); teams with no placed parent last.
    """
    in_band = set(band)
    keys: dict[int, tuple[float, ...]] = {}
    for start in band:
        path: list[int] = []
        node = start
        while node not in keys:
            path.append(node)
            parent = parent_of.get(node)
            if parent is None or parent not in in_band or parent in path:
                anchor = math.inf if parent is None else pos.get(parent, math.inf)
                keys[node] = (anchor, float(node))  # pos holds earlier bands only
                path.pop()
                break
            node = parent
        for node in reversed(path):
            keys[node] = (*keys[parent_of[node]], float(node))
    return keys


def _row_width(row: list[_Box]) -> float:
    return sum(b.width for b in row) + H_GAP * (len(row) - 1)


def _wrap(boxes: list[_Box]) -> list[list[_Box]]:
    """Split a band into the fewest rows of near-equal count that fit MAX_ROW_WIDTH."""
    for count in range(1, len(boxes) + 1):
        size, extra = divmod(len(boxes), count)
        ends = [(i + 1) * size + min(i + 1, extra) for i in range(count)]
        rows = [boxes[end - size - (i < extra) : end] for i, end in enumerate(ends)]
        if all(_row_width(row) <= MAX_ROW_WIDTH for row in rows):
            break
    return rows


def _layout(boxes: list[_Box]) -> tuple[list[tuple[int, float, float]], float, float]:
    """Place boxes; returns (band, top, bottom) per non-empty band, content width and height."""
    by_slug = {b.team.slug: b for b in reversed(boxes)}  # the first of duplicate slugs wins
    for box in boxes:
        parent = by_slug.get(box.team.parent_slug or "")
        box.parent = parent if parent is not box else None
    parent_of = {b.index: b.parent.index for b in boxes if b.parent is not None}
    pos: dict[int, float] = {}
    placed: list[tuple[int, list[list[_Box]]]] = []
    for band in range(len(BAND_LABELS)):
        members = [b for b in boxes if _band(b.team) == band]
        if not members:
            continue
        keys = _order_keys([b.index for b in members], parent_of, pos)
        members.sort(key=lambda b: keys[b.index])
        pos.update({b.index: (i + 0.5) / len(members) for i, b in enumerate(members)})
        placed.append((band, _wrap(members)))
    content_w = max((_row_width(row) for _, rows in placed for row in rows), default=0.0)
    bands: list[tuple[int, float, float]] = []
    y, row_no = HEADER, 0
    for band, rows in placed:
        top = y
        for row in rows:
            x = LEFT + (content_w - _row_width(row)) / 2
            for col, box in enumerate(row):
                box.x, box.y, box.row, box.col = x, y + GAP, row_no, col
                x += box.width + H_GAP
            y += GAP + max(b.height for b in row)
            row_no += 1
        y += GAP / 2
        bands.append((band, top, y))
    return bands, content_w, y


def _connectors(boxes: list[_Box]) -> list[str]:
    """Orthogonal lines drawn beneath the boxes.

    Each parent gets its own lane (a horizontal track) in the gap above a row, so lines from
    different parents never share a horizontal segment. A line that skips rows runs down a rail
    left of the boxes instead of behind them; neighbours in one row get a short side link.
    """
    row_top = {box.row: box.y for box in boxes}
    links = [  # (upper, lower) in row order; upper is the parent unless the data is odd
        (b.parent, b) if b.parent.row <= b.row else (b, b.parent)
        for b in boxes
        if b.parent is not None
    ]
    lanes: dict[int, list[int]] = {}
    rails: list[int] = []
    for upper, lower in sorted(links, key=lambda link: link[0].cx):
        if upper.row == lower.row and abs(upper.col - lower.col) == 1:
            continue
        rows = [lower.row, upper.row + 1] if lower.row - upper.row > 1 else [lower.row]
        for row in rows:
            if upper.index not in lanes.setdefault(row, []):
                lanes[row].append(upper.index)
        if len(rows) > 1 and upper.index not in rails:
            rails.append(upper.index)

    def lane(row: int, parent: int) -> str:
        track = lanes[row]
        return _num(row_top[row] - GAP + GAP * (track.index(parent) + 1) / (len(track) + 1))

    paths = []
    for upper, lower in links:
        bottom = f"M{_num(upper.cx)} {_num(upper.y + upper.height)}"
        into_lower = f"H{_num(lower.cx)}V{_num(lower.y)}"
        if upper.row == lower.row and abs(upper.col - lower.col) == 1:
            left, right = sorted((upper, lower), key=lambda b: b.x)
            d = f"M{_num(left.x + left.width)} {_num(left.y + 20)}H{_num(right.x)}"
        elif upper.row == lower.row:
            start = f"M{_num(upper.x + upper.width * 0.75)} {_num(upper.y)}"
            d = f"{start}V{lane(lower.row, upper.index)}{into_lower}"
        elif lower.row - upper.row == 1:
            d = f"{bottom}V{lane(lower.row, upper.index)}{into_lower}"
        else:
            rail = _num(LEFT - 12 - 7 * (rails.index(upper.index) % 4))
            d = (
                f"{bottom}V{lane(upper.row + 1, upper.index)}H{rail}"
                f"V{lane(lower.row, upper.index)}{into_lower}"
            )
        paths.append(f'<path d="{d}"/>')
    return paths


def _box_svg(box: _Box) -> str:
    team, x, y, w = box.team, box.x, box.y, box.width
    accent = ACCENTS[_band(team)]
    name = escape(_clean(team.name))
    out = [f'<g class="team"><title>{name}</title>']
    href = safe_href(team.href)
    if href is not None:
        out.append(f"<a{_attrs(href=href)}>")
    out.append(
        f"<rect{_attrs(class_='team-box', x=x, y=y, width=w, height=box.height, rx=6.0)}"
        f' fill="#ffffff" stroke="{accent}" stroke-width="1.5"/>'
        f'<rect{_attrs(x=x, y=y, width=w, height=6.0, rx=3.0)} fill="{accent}"/>'
        f"<text{_attrs(x=x + PAD, y=y + 30, font_size=box.name_size)}"
        f' font-weight="700">{name}</text>'
        f'<text{_attrs(x=x + PAD, y=y + 50)} fill="{MUTED}">{escape(_lead_line(team))}</text>'
    )
    breaching = max(0, int(team.breaching))
    load_open, load_breach = _load_text(team).split(" · ")
    breach_attrs = f' fill="{RED}" font-weight="700"' if breaching else f' fill="{MUTED}"'
    out.append(
        f"<text{_attrs(x=x + PAD, y=y + 68)}>{escape(load_open)} · "
        f"<tspan{breach_attrs}>{escape(load_breach)}</tspan></text>"
        f'<path d="M{_num(x + PAD)} {_num(y + 78)}H{_num(x + w - PAD)}" stroke="#d0d0d0"/>'
    )
    for i, (text, on_shift) in enumerate(box.lines):
        base = y + 84 + LINE_H * (i + 1) - 5
        text_x = x + PAD
        if on_shift is not None:
            fill = ON_SHIFT if on_shift else "#ffffff"
            out.append(
                f"<circle{_attrs(cx=x + PAD + 4, cy=base - 4.5, r=4.0, fill=fill)}"
                f' stroke="{ON_SHIFT if on_shift else MUTED}" stroke-width="1.5"/>'
            )
            text_x += 14
        colour = INK if on_shift else MUTED
        style = ' font-style="italic"' if on_shift is None else ""
        out.append(f"<text{_attrs(x=text_x, y=base, fill=colour)}{style}>{escape(text)}</text>")
    out.append("</a></g>" if href is not None else "</g>")
    return "".join(out)


def _describe(box: _Box) -> str:
    team, on = box.team, sum(1 for m in box.team.members if m.on_shift)
    reports = f", reports to {_clean(box.parent.team.name)}" if box.parent else ""
    return (
        f"{_clean(team.name)} ({BAND_LABELS[_band(team)]}): {len(team.members)} people, "
        f"{on} on shift, {_load_text(team)}{reports}."
    )


def render_org_chart(teams: Sequence[ChartTeam], *, title: str = "Support organisation") -> str:
    """A standalone SVG document (no XML declaration, so it can also be inlined into HTML).

    Bands run top to bottom: management, service desk (L1), L2, L3, specialist teams. Each team
    is a ``<g>`` whose ``<title>`` and one ``<text>`` carry its full name, with a ``rect`` of
    class ``team-box`` as its outline; reporting lines are drawn beneath the boxes.
    """
    boxes = [_make_box(team, i) for i, team in enumerate(teams)]
    bands, content_w, height = _layout(boxes)
    title_w = _text_width(_clean(title), 22, bold=True)
    width = max(760.0, LEFT + content_w + RIGHT, 24 + title_w + 290 + RIGHT)
    height = max(height, 160.0) + 16
    digest = hashlib.sha256(repr((title, teams)).encode("utf-8", "replace")).hexdigest()[:10]
    members = [m for t in teams for m in t.members]
    on_shift = sum(1 for m in members if m.on_shift)
    summary = (
        f"{len(teams)} teams, {len(members)} people ({on_shift} on shift), "
        f"{sum(max(0, int(t.open_tickets)) for t in teams)} open tickets, "
        f"{sum(max(0, int(t.breaching)) for t in teams)} breaching SLA."
    )
    described = [_describe(b) for b in sorted(boxes, key=lambda b: (b.row, b.col))]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1"'
        f"{_attrs(width=width, height=height, viewBox=f'0 0 {_num(width)} {_num(height)}')}"
        f' role="img" aria-labelledby="orgchart-{digest}-title orgchart-{digest}-desc"'
        f'{_attrs(font_family=FONT_FAMILY, font_size=TEXT_SIZE)} fill="{INK}">',
        f'<title id="orgchart-{digest}-title">{escape(_clean(title))}</title>',
        f'<desc id="orgchart-{digest}-desc">{escape(" ".join([summary, *described]))}</desc>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="24" y="36" font-size="22" font-weight="700">{escape(_clean(title))}</text>',
        f'<text x="24" y="60" fill="{MUTED}">{escape(summary)}</text>',
        f'<text{_attrs(x=width - RIGHT, y=36.0)} text-anchor="end" aria-hidden="true">'
        f'<tspan fill="{ON_SHIFT}">●</tspan> on shift\u2003<tspan fill="{MUTED}">○</tspan> away'
        f'\u2003<tspan fill="{RED}" font-weight="700">red = breaching</tspan></text>',
    ]
    if not boxes:
        out.append(f'<text x="24" y="{_num(HEADER + 40)}" font-size="16">No teams to show.</text>')
    for i, (band, top, bottom) in enumerate(bands):
        shade = "#f4f5f7" if i % 2 == 0 else "#ffffff"
        out.append(
            f"<rect{_attrs(x=0.0, y=top, width=width, height=bottom - top, fill=shade)}/>"
            f'<text{_attrs(x=24.0, y=top + GAP + 20)} font-size="14" font-weight="700"'
            f' fill="{ACCENTS[band]}">{escape(BAND_LABELS[band])}</text>'
        )
    out.append(
        f'<g class="links" fill="none" stroke="{LINE}" stroke-width="1.5" aria-hidden="true">'
    )
    out.extend(_connectors(boxes))
    out.append("</g>")
    out.extend(_box_svg(box) for box in boxes)
    out.append("</svg>")
    return "\n".join(out)
