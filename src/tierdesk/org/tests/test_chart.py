"""The org chart renderer is pure: these tests parse its SVG output, no Django needed.

Run with ``pytest -p no:django src/tierdesk/org/tests/test_chart.py``. To look at the example
chart (``rsvg-convert`` is in the librsvg2-bin package)::

    PYTHONPATH=src .venv/bin/python -m tierdesk.org.tests.test_chart > /tmp/org-chart.svg
    rsvg-convert -b white /tmp/org-chart.svg -o /tmp/org-chart.png
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import pytest

from tierdesk.org.chart import ChartMember, ChartTeam, render_org_chart, safe_href

SVG = "{http://www.w3.org/2000/svg}"

EXAMPLE = [
    # slug, name, kind, level, parent, members, on shift, open, breaching
    ("mgmt", "IT Service Management", "management", None, None, 3, 2, 0, 0),
    ("sd", "Service Desk", "service_desk", 1, "mgmt", 14, 9, 42, 3),
    ("l2-sys", "L2 Systems", "tier", 2, "sd", 6, 4, 17, 1),
    ("l2-apps", "L2 Applications", "tier", 2, "sd", 7, 5, 23, 0),
    ("l3-db", "L3 Databases", "tier", 3, "l2-sys", 4, 2, 5, 0),
    ("l3-net", "L3 Networks", "tier", 3, "l2-sys", 4, 3, 8, 2),
    ("l3-dev", "L3 Development", "tier", 3, "l2-apps", 9, 6, 11, 0),
    ("l3-arch", "L3 Architecture", "tier", 3, "l2-apps", 2, 1, 1, 0),
    ("infra", "Infrastructure & Datacentre Operations", "infrastructure", None, "mgmt", 8, 5, 9, 1),
    ("mon", "Monitoring (NOC)", "monitoring", None, "infra", 5, 3, 4, 0),
    ("sec", "Security Operations", "security", None, "mgmt", 5, 2, 6, 2),
]
FIRST = ["Alex", "Sam", "Priya", "Jonas", "Mei", "Oluwaseun", "Ines", "Kai", "Zofia", "Tomás"]
LAST = ["Berg", "Okafor", "Nakamura", "Schmidt", "Rossi", "Haddad", "Novak", "Larsen", "Diaz"]
ROLES = ["Analyst", "Senior engineer", "Engineer", "Specialist", "Team lead"]


def make_team(
    slug: str,
    name: str,
    kind: str,
    level: int | None,
    parent: str | None,
    size: int,
    on_shift: int,
    open_tickets: int = 0,
    breaching: int = 0,
) -> ChartTeam:
    members = tuple(
        ChartMember(
            name=f"{FIRST[(i + len(slug)) % len(FIRST)]} {LAST[(i * 7 + len(name)) % len(LAST)]}",
            role_title="Team lead" if i == 0 else ROLES[i % 4],
            on_shift=i < on_shift,
            is_lead=i == 0,
        )
        for i in range(size)
    )
    return ChartTeam(
        slug=slug,
        name=name,
        kind=kind,
        level=level,
        parent_slug=parent,
        lead_name=members[0].name if members else None,
        members=members,
        open_tickets=open_tickets,
        breaching=breaching,
        href=f"/queues/{slug}/",
    )


def example_org() -> list[ChartTeam]:
    """A realistic tiered organisation; also used to eyeball the chart as a PNG."""
    return [make_team(*row) for row in EXAMPLE]


def large_org() -> list[ChartTeam]:
    """20 teams, 200 people, with wide L2/L3 bands and a 40-person service desk."""
    specs: list[tuple[str, str, str, int | None, str | None, int]]
    specs = [("mgmt", "Management", "management", None, None, 4)]
    specs += [("sd", "Global Service Desk", "service_desk", 1, "mgmt", 40)]
    specs += [(f"l2-{i}", f"L2 Team {i}", "tier", 2, "sd", 10) for i in range(6)]
    specs += [(f"l3-{i}", f"L3 Team {i}", "tier", 3, f"l2-{i % 6}", 8) for i in range(8)]
    specs += [(f"sp-{i}", f"Specialists {i}", "infrastructure", None, "mgmt", 8) for i in range(4)]
    teams = [make_team(*spec, on_shift=spec[5] // 2, open_tickets=3) for spec in specs]
    assert len(teams) == 20
    assert sum(len(t.members) for t in teams) == 200
    return teams


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def team_groups(root: ET.Element) -> dict[str, ET.Element]:
    return {
        "".join(g.find(f"{SVG}title").itertext()): g  # type: ignore[union-attr]
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "team"
    }


def box_of(group: ET.Element) -> tuple[float, float, float, float]:
    rect = next(r for r in group.iter(f"{SVG}rect") if r.get("class") == "team-box")
    return tuple(float(rect.get(k, "nan")) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def test_renders_every_team_of_a_realistic_org_as_one_text_with_its_full_name() -> None:
    root = parse(render_org_chart(example_org()))
    all_texts = texts(root)
    for team in example_org():
        assert all_texts.count(team.name) == 1, team.name
    assert set(team_groups(root)) == {team.name for team in example_org()}


def test_output_is_a_standalone_accessible_svg_document() -> None:
    root = parse(render_org_chart(example_org(), title="Acme IT"))
    assert root.tag == f"{SVG}svg"
    assert float(root.get("width", "0")) > 0
    assert float(root.get("height", "0")) > 0
    assert len(root.get("viewBox", "").split()) == 4
    assert root.get("role") == "img"
    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    labelled_by = root.get("aria-labelledby", "").split()
    assert labelled_by
    assert all(ref in ids for ref in labelled_by)
    assert {ids[ref].tag for ref in labelled_by} == {f"{SVG}title", f"{SVG}desc"}
    assert ids[labelled_by[0]].text == "Acme IT"


def test_bands_are_ordered_top_to_bottom() -> None:
    groups = team_groups(parse(render_org_chart(example_org())))
    y = {name: box_of(group)[1] for name, group in groups.items()}
    assert y["IT Service Management"] < y["Service Desk"] < y["L2 Systems"]
    assert y["L2 Systems"] == y["L2 Applications"] < y["L3 Databases"] == y["L3 Architecture"]
    assert y["L3 Networks"] < y["Security Operations"] == y["Monitoring (NOC)"]


def test_band_labels_are_shown() -> None:
    all_texts = texts(parse(render_org_chart(example_org())))
    for label in ("Management", "Service desk · L1", "L2", "L3", "Specialist teams"):
        assert label in all_texts


def test_children_sit_under_their_parents_and_reporting_lines_are_drawn() -> None:
    root = parse(render_org_chart(example_org()))
    x = {name: box_of(group)[0] for name, group in team_groups(root).items()}
    assert x["L3 Databases"] < x["L3 Development"]
    assert x["L3 Networks"] < x["L3 Architecture"]
    links = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "links")
    assert len(list(links)) == sum(1 for row in EXAMPLE if row[4] is not None)


def segments(d: str) -> list[tuple[float, float, float, float]]:
    """Straight segments of a connector path made of M, H and V commands."""
    out, x, y = [], 0.0, 0.0
    for cmd, a, b in re.findall(r"([MHV])(-?[\d.]+)(?: (-?[\d.]+))?", d):
        if cmd == "M":
            x, y = float(a), float(b)
        elif cmd == "H":
            out.append((x, y, float(a), y))
            x = float(a)
        else:
            out.append((x, y, x, float(a)))
            y = float(a)
    return out


@pytest.mark.parametrize("org", [example_org, large_org])
def test_reporting_lines_never_run_behind_a_team_box(org: Callable[[], list[ChartTeam]]) -> None:
    root = parse(render_org_chart(org()))
    boxes = [box_of(g) for g in team_groups(root).values()]
    links = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "links")
    for path in links:
        for x1, y1, x2, y2 in segments(path.get("d", "")):
            for bx, by, bw, bh in boxes:
                inside_x = max(x1, x2) > bx + 0.5 and min(x1, x2) < bx + bw - 0.5
                inside_y = max(y1, y2) > by + 0.5 and min(y1, y2) < by + bh - 0.5
                assert not (inside_x and inside_y), (path.get("d"), (bx, by, bw, bh))


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_all_text_has_at_least_4_5_to_1_contrast_on_white_and_band_shading() -> None:
    root = parse(render_org_chart(example_org()))
    parents = {child: parent for parent in root.iter() for child in parent}
    for el in root.iter():
        if el.tag not in (f"{SVG}text", f"{SVG}tspan"):
            continue
        node: ET.Element | None = el
        while node is not None and node.get("fill") is None:
            node = parents.get(node)
        fill = node.get("fill") if node is not None else None
        assert fill is not None
        assert re.fullmatch("#[0-9a-f]{6}", fill), fill
        for background in ("#ffffff", "#f4f5f7"):
            light, dark = sorted((luminance(fill), luminance(background)), reverse=True)
            assert (light + 0.05) / (dark + 0.05) >= 4.5, (fill, background)


def test_the_text_alternative_describes_every_team_and_its_reporting_line() -> None:
    root = parse(render_org_chart(example_org()))
    desc = "".join(root.find(f"{SVG}desc").itertext())  # type: ignore[union-attr]
    assert desc.startswith("11 teams, 67 people")
    assert (
        "L3 Networks (L3): 4 people, 3 on shift, 8 open · 2 breaching, reports to L2 Systems."
        in desc
    )


def test_load_line_shows_open_and_breaching_with_breaching_in_red() -> None:
    root = parse(render_org_chart(example_org()))
    sd = team_groups(root)["Service Desk"]
    load = next(t for t in sd.iter(f"{SVG}text") if "open" in "".join(t.itertext()))
    assert "".join(load.itertext()) == "42 open · 3 breaching"
    assert load.find(f"{SVG}tspan").get("fill") == "#b3261e"  # type: ignore[union-attr]
    arch = team_groups(root)["L3 Architecture"]
    assert "1 open · 0 breaching" in texts(arch)
    assert all(s.get("fill") != "#b3261e" for s in arch.iter(f"{SVG}tspan"))


def test_away_members_are_marked_with_text_and_a_hollow_circle() -> None:
    root = parse(render_org_chart(example_org()))
    group = team_groups(root)["L3 Architecture"]
    member_lines = [t for t in texts(group) if " — " in t]
    assert len(member_lines) == 2
    assert "away" not in member_lines[0]
    assert member_lines[1].endswith("· away")
    fills = [c.get("fill") for c in group.iter(f"{SVG}circle")]
    assert fills == ["#1a7f37", "#ffffff"]


def test_a_200_person_20_team_org_has_no_overlapping_boxes_and_a_sane_width() -> None:
    svg = render_org_chart(large_org())
    root = parse(svg)
    boxes = [box_of(g) for g in team_groups(root).values()]
    assert len(boxes) == 20
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
    width = float(root.get("width", "inf"))
    assert width <= 4000
    assert all(x >= 0 and x + w <= width for x, _, w, _ in boxes)
    assert "+29 more (9 on shift, 20 away)" in texts(root)


def test_bands_too_wide_for_the_page_wrap_into_extra_rows() -> None:
    teams = [make_team("sd", "Service Desk", "service_desk", 1, None, 2, 1)]
    teams += [make_team(f"l2-{i}", f"L2 Team {i}", "tier", 2, "sd", 3, 1) for i in range(16)]
    root = parse(render_org_chart(teams))
    l2_rows = Counter(
        box_of(g)[1] for name, g in team_groups(root).items() if name != "Service Desk"
    )
    assert len(l2_rows) >= 2
    assert max(l2_rows.values()) - min(l2_rows.values()) <= 1
    assert float(root.get("width", "inf")) <= 4000


def test_long_team_names_are_not_truncated() -> None:
    name = "Enterprise Resource Planning and Business Intelligence Application Support " * 2
    root = parse(render_org_chart([make_team("erp", name, "tier", 2, None, 1, 1)]))
    group = team_groups(root)[name.strip()]
    assert name.strip() in texts(group)
    assert box_of(group)[2] > 800


XSS = [
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "' onmouseover='alert(1)",
    "]]><script>alert(1)</script>",
    "bad\x00\x01\x1b\ufffe\ud800chars",
]


@pytest.mark.parametrize("payload", XSS)
def test_hostile_input_is_inert(payload: str) -> None:
    member = ChartMember(name=payload, role_title=payload, on_shift=False, is_lead=True)
    team = ChartTeam(
        slug=payload,
        name=payload,
        kind=payload,
        level=None,
        parent_slug=payload,
        lead_name=payload,
        members=(member,),
        open_tickets=1,
        breaching=1,
        href=payload,
    )
    svg = render_org_chart([team], title=payload)
    root = parse(svg)
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert "script" not in tags
    assert "foreignObject" not in tags
    assert [el.tag for el in root.iter(f"{SVG}svg")] == [f"{SVG}svg"]
    for el in root.iter():
        assert not any(attr.lower().startswith("on") for attr in el.attrib)
    assert "<script" not in svg


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "//evil.example/queue",
        "file:///etc/passwd",
    ],
)
def test_dangerous_links_are_dropped(href: str) -> None:
    assert safe_href(href) is None
    team = make_team("sd", "Service Desk", "service_desk", 1, None, 1, 1)
    root = parse(render_org_chart([replace(team, href=href)]))
    assert list(root.iter(f"{SVG}a")) == []
    assert "Service Desk" in texts(root)


def test_safe_links_are_kept_and_escaped() -> None:
    href = '/queues/sd/?a=1&b="2"<x>'
    team = make_team("sd", "Service Desk", "service_desk", 1, None, 1, 1)
    root = parse(render_org_chart([replace(team, href=href)]))
    (link,) = root.iter(f"{SVG}a")
    assert link.get("href") == href
    assert safe_href("https://desk.example/queues/sd") == "https://desk.example/queues/sd"
    assert safe_href("queues/sd") == "queues/sd"


def test_teams_without_a_lead_or_members_say_so() -> None:
    team = make_team("new", "New Team", "tier", 2, None, 0, 0)
    group = team_groups(parse(render_org_chart([team])))["New Team"]
    assert "Lead: —" in texts(group)
    assert "No members" in texts(group)


def test_empty_org_renders_a_valid_svg_saying_there_are_no_teams() -> None:
    root = parse(render_org_chart([]))
    assert root.tag == f"{SVG}svg"
    assert "No teams to show." in texts(root)
    assert team_groups(root) == {}


def test_teams_with_large_memberships_show_a_capped_list_with_a_more_line() -> None:
    team = make_team("sd", "Service Desk", "service_desk", 1, None, 30, 10)
    group = team_groups(parse(render_org_chart([team])))["Service Desk"]
    member_lines = [t for t in texts(group) if " — " in t]
    assert len(member_lines) == 11
    assert "+19 more (0 on shift, 19 away)" in texts(group)


def test_reporting_cycles_and_unknown_parents_do_not_break_the_layout() -> None:
    teams = [
        make_team("a", "Team A", "tier", 2, "b", 1, 1),
        make_team("b", "Team B", "tier", 2, "a", 1, 1),
        make_team("c", "Team C", "tier", 2, "c", 1, 1),
        make_team("d", "Team D", "tier", 2, "nowhere", 1, 1),
    ]
    groups = team_groups(parse(render_org_chart(teams)))
    assert set(groups) == {"Team A", "Team B", "Team C", "Team D"}


if __name__ == "__main__":
    print(render_org_chart(example_org()))
