"""Org-file validation: every problem at once, each with its line and field; nothing applied."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierdesk.accounts.models import User
from tierdesk.org import orgfile
from tierdesk.org.models import Team
from tierdesk.org.orgfile.fields import SECTIONS, TOP_LEVEL
from tierdesk.org.tests.orgfiles import EXAMPLE, MINIMAL, applied, dump, example_data, problems

pytestmark = pytest.mark.django_db

DESK = """\
teams:
  - slug: desk
    name: Desk
    kind: service_desk
"""


def test_an_unknown_key_is_reported_at_its_line() -> None:
    text = DESK + "    colour: blue\n"
    assert problems(text) == [
        "org.yaml:5: teams[0].colour: unknown key; use slug, name, kind, level, parent, lead, "
        "assignment, default_for_tier, categories"
    ]


def test_an_unknown_section_is_a_typo() -> None:
    assert problems(DESK + "peple: []\n") == [
        f"org.yaml:5: peple: unknown section; known: {', '.join(TOP_LEVEL)}"
    ]


def test_a_reference_to_a_missing_team_names_the_field() -> None:
    text = (
        DESK + "people:\n  - {username: tom, email: tom@example.com, role: agent,\n"
        "     teams: [desk, dsek]}\n"
    )
    assert problems(text) == ["org.yaml:7: people[0].teams[1]: no team 'dsek' in the file"]


def test_team_parents_in_a_circle_are_reported_once() -> None:
    text = (
        DESK
        + """\
  - {slug: a, name: A, kind: management, parent: b}
  - {slug: b, name: B, kind: management, parent: c}
  - {slug: c, name: C, kind: management, parent: a}
"""
    )
    assert problems(text) == [
        "org.yaml:5: teams[1].parent: teams report in a circle: a → b → c → a"
    ]


def test_reporting_lines_in_a_circle_are_reported() -> None:
    text = (
        DESK
        + """\
people:
  - {username: ann, email: ann@example.com, role: team_lead, manager: bob}
  - {username: bob, email: bob@example.com, role: it_manager, manager: ann}
  - {username: cy, email: cy@example.com, role: agent, manager: cy}
"""
    )
    assert problems(text) == [
        "org.yaml:6: people[0].manager: reporting lines run in a circle: ann → bob → ann",
        "org.yaml:8: people[2].manager: a person cannot manage themselves",
    ]


def test_a_reporting_line_through_a_person_outside_the_file_is_checked_too() -> None:
    outsider = User.objects.create(username="olga", email="olga@example.org", role="it_manager")
    text = DESK + "people:\n  - {username: ann, email: ann@example.com, role: cio, manager: olga}\n"
    applied(text)
    User.objects.filter(pk=outsider.pk).update(manager=User.objects.get(username="ann"))
    assert problems(text) == [
        "org.yaml:6: people[0].manager: reporting lines run in a circle: ann → olga → ann"
    ]


CALENDAR = """\
calendars:
  - slug: office
    name: Office
    time_zone: Europe/Berlin
"""


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [
        (
            '    hours: {mon: ["09:00-17:00"], tue: ["17:00-09:00"]}\n',
            "org.yaml:5: calendars[0].hours.tue: 17:00-09:00 must end after it starts",
        ),
        (
            '    hours: {mon: ["9-5"]}\n',
            "org.yaml:5: calendars[0].hours.mon[0]: expected "
            "'HH:MM-HH:MM' (00:00..24:00), got '9-5'",
        ),
        (
            "    always_open: true\n    holidays: {country: DE}\n",
            "org.yaml:5: calendars[0].always_open: cannot be combined with hours/holidays/"
            "closed_dates",
        ),
        (
            '    hours: {mon: ["09:00-17:00"]}\n    holidays: {country: XX}\n',
            "org.yaml:6: calendars[0].holidays.country: Country XX not available",
        ),
        (
            "    closed_dates: [2025-12-24]\n",
            "org.yaml:2: calendars[0].hours: no open hours on any weekday (use always_open for "
            "24x7)",
        ),
    ],
)
def test_a_bad_calendar_reports_the_calendar_error(calendar: str, expected: str) -> None:
    found = problems(CALENDAR + calendar + DESK)
    assert len(found) == 1
    assert found[0].startswith(expected)


def test_an_unknown_time_zone_is_named() -> None:
    text = "calendars:\n  - {slug: mars, name: Mars, time_zone: Mars/Olympus, always_open: true}\n"
    assert problems(text + DESK) == [
        "org.yaml:2: calendars[0].time_zone: unknown IANA time zone 'Mars/Olympus'"
    ]


@pytest.mark.parametrize(
    ("team", "expected"),
    [
        ("{slug: l2, name: L2, kind: tier}", "teams[1]: a tier team needs level 2 or 3"),
        (
            "{slug: l2, name: L2, kind: tier, level: 1}",
            "teams[1].level: a tier team needs level 2 or 3",
        ),
        (
            "{slug: sec, name: Sec, kind: security, level: 3}",
            "teams[1].level: a security team has no level (only tiers do)",
        ),
        (
            "{slug: d2, name: D2, kind: service_desk, level: 2}",
            "teams[1].level: a service_desk team is level 1",
        ),
        (
            "{slug: mon, name: Mon, kind: monitoring, default_for_tier: true}",
            "teams[1].default_for_tier: a monitoring team belongs to no tier",
        ),
        (
            "{slug: d2, name: D2, kind: service_desk, default_for_tier: true}\n"
            "  - {slug: d3, name: D3, kind: service_desk, default_for_tier: true}",
            "teams[2].default_for_tier: tier 1 already has default team 'd2'",
        ),
    ],
)
def test_levels_must_fit_the_kind_of_team(team: str, expected: str) -> None:
    found = problems(DESK + f"  - {team}\n")
    assert [f.split(": ", 1)[1] for f in found] == [expected]


def test_a_bad_priority_matrix_points_into_the_matrix() -> None:
    text = (
        DESK
        + """\
policies:
  priority_matrix:
    high: {high: P1, medium: P2, low: P3}
    medium: {high: P2, medium: P3, low: P9}
    low: {high: P3, medium: P4, low: P5}
"""
    )
    assert problems(text) == [
        "org.yaml:8: policies.priority_matrix.medium.low: 'P9' is not one of P1–P5"
    ]


def test_many_problems_are_reported_together_in_line_order() -> None:
    text = """\
calendars:
  - {slug: mars, name: Mars, time_zone: Mars/Olympus, always_open: true}
teams:
  - {slug: desk, name: Desk, kind: service_desk, lead: nobody}
  - {slug: l2, name: L2, kind: tier, level: 2, parent: nowhere, assignment: random}
people:
  - {username: tom, email: tom@example, role: agent, teams: [desk]}
  - {username: sam, email: sam@example.com, role: wizard}
  - {username: rita, email: rita@example.com, role: requester, teams: [desk]}
services:
  - {slug: vpn, name: VPN, owner: l3, calendar: mars}
routing_rules:
  - {name: r1, when: {keywords: [phishing], colour: red}, team: desk}
  - {name: r2, when: {service: vpn}, assignee: rita}
mail_addresses:
  - {address: helpdesk@example.com, team: nope}
"""
    found = problems(text)
    assert found == [
        "org.yaml:2: calendars[0].time_zone: unknown IANA time zone 'Mars/Olympus'",
        "org.yaml:4: teams[0].lead: no active person 'nobody' (people the org file created "
        "must be listed)",
        "org.yaml:5: teams[1].assignment: 'random' is not one of manual, round_robin, "
        "least_loaded, skills",
        "org.yaml:7: people[0].email: 'tom@example' is not an email address",
        "org.yaml:8: people[1].role: 'wizard' is not one of requester, agent, team_lead, "
        "incident_manager, it_manager, cio, admin, auditor",
        "org.yaml:9: people[2].teams[0]: a requester cannot be a team member",
        "org.yaml:11: services[0].owner: no team 'l3' in the file",
        "org.yaml:13: routing_rules[0].when.colour: unknown condition; use type, category, "
        "service, channel, priority, organisation, keywords",
        "org.yaml:14: routing_rules[1].assignee: 'rita' is a requester, not support staff",
        "org.yaml:16: mail_addresses[0].team: no team 'nope' in the file",
    ]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "ola_policies:\n  - {tier: 1, team: desk, priority: P1, budget_minutes: 30}\n",
            "org.yaml:6: ola_policies[0]: give exactly one of tier or team",
        ),
        (
            "sla_policies:\n  - {name: x, priority: P2, first_response_minutes: 60,\n"
            "     resolution_minutes: 30}\n",
            "org.yaml:7: sla_policies[0].resolution_minutes: must not be shorter than the first "
            "response",
        ),
        (
            "routing_rules:\n  - {name: idle, when: {category: printer}}\n",
            "org.yaml:6: routing_rules[0]: does nothing: give at least one of team, set_category, "
            "set_priority, assignee, watchers",
        ),
        (
            "routing_rules:\n  - {name: all, when: {}, team: desk}\n",
            "org.yaml:6: routing_rules[0].when: needs at least one condition (a rule matching "
            "everything hides the rest)",
        ),
        (
            "escalation_policies:\n  - priority: P1\n    steps:\n"
            "      - {at_percent: 75, notify: [team_lead, boss]}\n",
            "org.yaml:8: escalation_policies[0].steps[0].notify[1]: 'boss' is not one of assignee, "
            "team_lead, lead_manager, incident_manager, it_manager, cio",
        ),
        (
            "mail_addresses:\n  - {address: help@example.com, team: desk, type: spam}\n",
            "org.yaml:6: mail_addresses[0].type: 'spam' is not one of incident, service_request, "
            "problem, change, security_incident",
        ),
        (
            "requester_organisations:\n  - {slug: a, name: A, domains: [a.example.com]}\n"
            "  - {slug: b, name: B, domains: [A.example.com]}\n",
            "org.yaml:7: requester_organisations[1].domains[0]: also a domain of organisation 'a'",
        ),
    ],
)
def test_entries_must_make_sense_on_their_own(extra: str, expected: str) -> None:
    assert problems(DESK + extra) == [expected]


def test_a_file_with_problems_changes_nothing() -> None:
    applied(MINIMAL)
    before = list(Team.objects.values_list("slug", "name"))
    broken = MINIMAL.replace("name: L2", "name: Level two").replace("kind: tier", "kind: teir")
    outcome = orgfile.apply(broken)
    assert not outcome.ok
    assert not outcome.applied
    assert list(Team.objects.values_list("slug", "name")) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "org.yaml:1: the file is empty; it needs at least 'teams'"),
        ("- a\n", "org.yaml:1: expected a mapping with at least 'teams'"),
        ("people: []\n", "org.yaml:1: missing required section 'teams'"),
        ("teams: [\n  - a", "org.yaml:2: YAML: "),
        (
            "teams:\n  - slug: x\n    slug: y\n",
            "org.yaml:3: teams[0].slug: duplicate key (first at line 2)",
        ),
        (
            "teams:\n  - !!python/object:os.system {}\n",
            "org.yaml:2: teams[0]: unsupported YAML "
            "tag 'tag:yaml.org,2002:python/object:os.system'",
        ),
        ("teams: &a [*a]\n", "org.yaml:1: teams: nested deeper than 40 levels"),
        (
            "teams:\n  - {slug: x, name: 2025-02-30}\n",
            "org.yaml:2: teams[0].name: not a valid value: day is out of range for month",
        ),
        ("teams: {desk: 1}\n", "org.yaml:1: teams: expected a list (write [] for none)"),
    ],
)
def test_broken_yaml_gives_one_clean_line(text: str, expected: str) -> None:
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith(expected)  # libyaml and pure-Python PyYAML word syntax errors apart


def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    found = problems("\n".join(lines) + "\nteams: []\n")
    assert len(found) == 1
    assert found[0].startswith("org.yaml:")
    assert found[0].endswith(": too many values (more than 200000)")


def test_an_email_already_used_by_someone_outside_the_file_is_refused() -> None:
    User.objects.create(username="rita.mail", email="rita@example.com")
    index = [p["username"] for p in example_data()["people"]].index("rita")
    found = problems(EXAMPLE)
    assert found == [
        f"org.yaml:{_line_of('username: rita,')}: people[{index}].email: already the address "
        "of 'rita.mail'; list that person under that username"
    ]


def _line_of(text: str) -> int:
    return next(i for i, line in enumerate(EXAMPLE.splitlines(), 1) if text in line)


def test_identities_must_be_unique_within_a_section() -> None:
    data = example_data()
    data["sla_policies"].append(dict(data["sla_policies"][0], name="P1 again"))
    data["routing_rules"].append(dict(data["routing_rules"][0]))
    found = [f.split(": ", 1)[1] for f in problems(dump(data))]
    assert found == [
        "sla_policies[7]: P1 is already defined at sla_policies[0] "
        f"(line {dump(data).splitlines().index('sla_policies:') + 2})",
        "routing_rules[4]: security-threats is already defined at routing_rules[0] "
        f"(line {dump(data).splitlines().index('routing_rules:') + 2})",
    ]


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=8),
    st.sampled_from(["desk", "tom", "P1", "tier", "09:00-17:00", "UTC"]),
)
_keys = st.sampled_from(
    sorted({k for fields in SECTIONS.values() for k in fields} | set(TOP_LEVEL) | {"x"})
)
_garbage = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.dictionaries(st.sampled_from(TOP_LEVEL), _garbage, max_size=6))
def test_structured_garbage_is_reported_never_raised(document: dict[str, object]) -> None:
    outcome = orgfile.plan_text(yaml.safe_dump(document))
    assert outcome.issues  # no garbage holds a service desk team with a name and a kind
    assert all(issue.line >= 1 and issue.message for issue in outcome.issues)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200))
def test_random_text_is_reported_never_raised(text: str) -> None:
    outcome = orgfile.plan_text(text)
    assert outcome.issues
    assert all(issue.line >= 1 and "\n" not in issue.message for issue in outcome.issues)


def _leaves(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(value, dict):
        return [path, *(p for k, v in value.items() for p in _leaves(v, (*path, k)))]
    if isinstance(value, list):
        return [path, *(p for i, v in enumerate(value) for p in _leaves(v, (*path, i)))]
    return [path]


_EXAMPLE_PATHS = [p for p in _leaves(example_data()) if p]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(_EXAMPLE_PATHS), _garbage), min_size=1, max_size=3))
def test_a_mangled_example_is_reported_never_raised(
    edits: list[tuple[tuple[object, ...], object]],
) -> None:
    data = example_data()
    for path, value in edits:
        target: Any = data
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced a parent of this path
    outcome = orgfile.plan_text(dump(data))
    assert all(issue.line >= 1 and issue.message for issue in outcome.issues)


def test_an_issue_reads_as_line_path_and_message() -> None:
    outcome = orgfile.plan_text(DESK + "    colour: blue\n")
    assert str(outcome.issues[0]).startswith("5: teams[0].colour: unknown key")
