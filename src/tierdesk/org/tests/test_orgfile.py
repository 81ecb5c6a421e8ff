"""Org as code: applying, planning, removing, auditing and exporting an org file."""

from __future__ import annotations

import pytest

from tierdesk.accounts.models import User
from tierdesk.audit.models import Event
from tierdesk.audit.services import ORG_CHAIN
from tierdesk.audit.verify import verify
from tierdesk.escalations.models import HierarchyPolicy
from tierdesk.org import orgfile
from tierdesk.org import policies as desk_policies
from tierdesk.org.models import (
    BusinessCalendar,
    DeskPolicy,
    Membership,
    RequesterOrganisation,
    Service,
    Team,
)
from tierdesk.org.tests.orgfiles import (
    EXAMPLE,
    MINIMAL,
    applied,
    dump,
    entry,
    example_data,
)
from tierdesk.routing.models import RoutingRule
from tierdesk.slas.models import OlaPolicy, SlaPolicy
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    models = [
        Team,
        User,
        Membership,
        BusinessCalendar,
        RequesterOrganisation,
        Service,
        SlaPolicy,
        OlaPolicy,
        HierarchyPolicy,
        RoutingRule,
        DeskPolicy,
        Event,
    ]
    return {m.__name__: m._default_manager.count() for m in models}


def test_the_example_org_applies_as_a_tiered_organisation() -> None:
    outcome = applied(EXAMPLE)

    assert outcome.applied
    assert len(outcome.changes) > 80
    assert Team.objects.count() == 11
    desk = Team.objects.get(slug="service-desk")
    assert (desk.kind, desk.level, desk.assignment_strategy) == ("service_desk", 1, "round_robin")
    assert desk.is_default_for_tier
    assert desk.lead is not None
    assert desk.lead.username == "lena"
    defaults = Team.objects.filter(is_default_for_tier=True).values_list("level", "slug")
    assert sorted(defaults) == [(1, "service-desk"), (2, "l2-systems"), (3, "l3-databases")]
    assert Team.objects.get(slug="l3-networks").parent.slug == "l2-systems"  # type: ignore[union-attr]
    tom = User.objects.get(username="tom")
    line = []
    person: User | None = tom
    while person is not None:
        line.append(person.username)
        person = person.manager
    assert line == ["tom", "lena", "stella", "ivan", "cora"]
    assert tom.managed_by_org_file
    assert not tom.has_usable_password()
    assert tom.role_title == "technician"
    assert tom.memberships.get().team == desk
    assert User.objects.get(username="rita").organisation.slug == "finance"  # type: ignore[union-attr]
    assert 30 <= User.objects.exclude(role="requester").count() <= 40
    assert {u.role for u in User.objects.filter(username__in=["admin", "audrey"])} == {
        "admin",
        "auditor",
    }
    berlin = BusinessCalendar.objects.get(slug="berlin-office").spec
    assert berlin["time_zone"] == "Europe/Berlin"
    assert berlin["holidays"] == {"country": "DE", "subdivision": "BE"}
    assert berlin["hours"]["mon"] == ["09:00-17:00"]
    assert "sat" not in berlin["hours"]
    p1 = SlaPolicy.objects.get(priority="P1")
    assert (p1.first_response_minutes, p1.resolution_minutes, p1.calendar) == (15, 240, None)
    assert HierarchyPolicy.objects.get(priority="P1").major_incident
    assert OlaPolicy.objects.get(tier=1, priority="P1").auto_escalate
    rules = list(RoutingRule.objects.values_list("name", "position"))
    assert rules[0] == ("security-threats", 1)
    assert RoutingRule.objects.get(name="security-threats").conditions["keywords"][0] == "phishing"
    assert desk_policies.reopen_days() == 7
    mail = DeskPolicy.objects.get(key="mail_addresses").value
    assert {
        "address": "security@example.com",
        "team": "security",
        "type": "security_incident",
    } in mail


def test_a_ticket_raised_after_applying_the_example_lands_at_the_service_desk() -> None:
    applied(EXAMPLE)
    rita = User.objects.get(username="rita")
    ticket = create_ticket(NewTicket(title="Printer on floor 3 is jammed"), requester=rita)
    assert ticket.team.slug == "service-desk"
    threat = create_ticket(NewTicket(title="Phishing mail asking for my password"), requester=rita)
    assert threat.team.slug == "security"


def test_applying_the_same_file_twice_changes_nothing_and_records_no_events() -> None:
    applied(EXAMPLE)
    before = _counts()
    second = applied(EXAMPLE)
    assert second.changes == []
    assert not second.applied
    assert _counts() == before


def test_a_dry_run_plans_every_change_and_writes_nothing() -> None:
    before = _counts()
    outcome = orgfile.apply(EXAMPLE, dry_run=True)
    assert outcome.ok
    assert not outcome.applied
    lines = [change.line() for change in outcome.changes]
    assert "+ team l2-apps" in lines
    assert "+ person tom" in lines
    assert "+ rule acme-customer" in lines
    assert _counts() == before


def test_changes_are_planned_field_by_field() -> None:
    applied(EXAMPLE)
    data = example_data()
    entry(data, "people", "username", "tom")["email"] = "thomas@example.com"
    entry(data, "teams", "slug", "l2-apps")["assignment"] = "skills"
    data["routing_rules"] = [r for r in data["routing_rules"] if r["name"] != "acme-customer"]
    outcome = orgfile.apply(dump(data), dry_run=True)
    assert [c.line() for c in outcome.changes] == [
        "~ team l2-apps: assignment least_loaded → skills",
        "~ person tom: email tom@example.com → thomas@example.com",
        "- rule acme-customer",
    ]


def test_org_changes_are_audit_events_on_the_org_chain() -> None:
    applied(EXAMPLE)
    created = Event.objects.filter(chain=ORG_CHAIN)
    assert created.count() > 80
    assert created.filter(kind="org_changed", field="team:l2-apps", before__isnull=True).exists()
    data = example_data()
    entry(data, "people", "username", "tom")["email"] = "thomas@example.com"
    applied(dump(data))
    last = Event.objects.filter(chain=ORG_CHAIN).order_by("-seq").first()
    assert last is not None
    assert (last.kind, last.field, last.before, last.after, last.actor_id, last.channel) == (
        "org_changed",
        "person:tom.email",
        "tom@example.com",
        "thomas@example.com",
        None,
        "cli",
    )
    assert last.data == {"op": "~", "section": "people", "key": ["tom"]}
    assert verify().ok


def test_reordering_routing_rules_changes_their_positions() -> None:
    applied(EXAMPLE)
    data = example_data()
    data["routing_rules"].reverse()
    applied(dump(data))
    names = list(RoutingRule.objects.values_list("name", flat=True))
    assert names == [r["name"] for r in data["routing_rules"]]


def test_removing_a_team_that_holds_tickets_is_refused_and_nothing_changes() -> None:
    applied(EXAMPLE)
    rita = User.objects.get(username="rita")
    create_ticket(NewTicket(title="Payroll run failed", service="payroll"), requester=rita)
    assert Team.objects.get(slug="l2-apps").tickets.count() == 1
    data = example_data()
    data["teams"] = [t for t in data["teams"] if t["slug"] != "l2-apps"]
    for team in data["teams"]:
        if team.get("parent") == "l2-apps":
            team["parent"] = "l2-systems"
    for person in data["people"]:
        person["teams"] = [s for s in person.get("teams", []) if s != "l2-apps"]
    for section in ("services", "routing_rules", "mail_addresses"):
        for item in data[section]:
            if item.get("owner") == "l2-apps":
                item["owner"] = "l2-systems"
            if item.get("team") == "l2-apps":
                item["team"] = "l2-systems"
    entry(data, "people", "username", "hana")["role"] = "agent"
    before = _counts()

    outcome = orgfile.apply(dump(data))

    assert not outcome.ok
    assert not outcome.applied
    assert [issue.message for issue in outcome.issues] == [
        "cannot remove team 'l2-apps': it still holds 1 tickets (1 open); move them first"
    ]
    assert outcome.issues[0].path == "teams"
    assert _counts() == before
    assert User.objects.get(username="hana").role == "team_lead"


def test_removing_an_empty_team_deletes_it() -> None:
    applied(EXAMPLE)
    data = example_data()
    data["teams"] = [t for t in data["teams"] if t["slug"] != "l3-architecture"]
    for person in data["people"]:
        if person.get("teams") == ["l3-architecture"]:
            person["teams"] = ["l3-development"]
    outcome = applied(dump(data))
    assert "- team l3-architecture" in [c.line() for c in outcome.changes]
    assert not Team.objects.filter(slug="l3-architecture").exists()
    assert User.objects.get(username="victor").memberships.get().team.slug == "l3-development"


def test_people_left_out_are_deactivated_not_deleted_and_mail_requesters_are_kept() -> None:
    applied(EXAMPLE)
    walk_in = User.objects.create(username="walter@example.org", email="walter@example.org")
    data = example_data()
    data["people"] = [p for p in data["people"] if p["username"] != "kenji"]

    outcome = applied(dump(data))

    assert [c.line() for c in outcome.changes] == ["- person kenji (deactivated)"]
    kenji = User.objects.get(username="kenji")
    assert not kenji.is_active
    assert not kenji.memberships.exists()
    walk_in.refresh_from_db()
    assert walk_in.is_active
    data["people"].append(
        {
            "username": "kenji",
            "email": "kenji@example.com",
            "role": "agent",
            "teams": ["service-desk"],
        }
    )
    again = applied(dump(data))
    assert [c.line() for c in again.changes] == [
        '~ person kenji: name Kenji Sato → ""; title technician → none; '
        'teams [] → ["service-desk"]; manager lena → none; on_shift false → true; '
        "active false → true"
    ]


def test_listing_a_person_the_mail_channel_created_takes_them_over() -> None:
    applied(EXAMPLE)
    User.objects.create(username="walter", email="walter@example.org")
    data = example_data()
    data["people"].append(
        {
            "username": "walter",
            "email": "walter@example.org",
            "role": "requester",
            "organisation": "acme",
        }
    )
    outcome = applied(dump(data))
    assert [c.line() for c in outcome.changes] == [
        "~ person walter: organisation none → acme; managed false → true"
    ]
    assert User.objects.get(username="walter").managed_by_org_file


def test_sections_left_out_of_the_file_are_not_touched() -> None:
    applied(EXAMPLE)
    before = _counts()
    data = example_data()
    partial = {"teams": data["teams"], "people": data["people"]}
    assert applied(dump(partial)).changes == []
    assert _counts() == before


def test_an_empty_section_removes_everything_of_its_kind() -> None:
    applied(EXAMPLE)
    data = example_data()
    data["routing_rules"] = []
    data["mail_addresses"] = []
    del data["policies"]["reopen_days"]
    outcome = applied(dump(data))
    assert sum(1 for c in outcome.changes if c.op == "-") == 4 + 3 + 1
    assert not RoutingRule.objects.exists()
    assert not DeskPolicy.objects.filter(key="mail_addresses").exists()
    assert desk_policies.reopen_days() == desk_policies.DEFAULTS["reopen_days"]


def test_without_a_marked_default_the_first_team_of_a_tier_is_the_default() -> None:
    applied(MINIMAL)
    assert Team.objects.get(slug="desk").is_default_for_tier
    assert Team.objects.get(slug="l2").is_default_for_tier
    assert applied(MINIMAL).changes == []


@pytest.mark.parametrize("source", ["example", "minimal", "edited"])
def test_an_export_applied_to_the_same_database_changes_nothing(source: str) -> None:
    applied(MINIMAL if source == "minimal" else EXAMPLE)
    if source == "edited":
        User.objects.create(username="walter", email="walter@example.org")
        SlaPolicy.objects.create(
            name="Hand-made",
            priority="P4",
            ticket_type="change",
            first_response_minutes=5,
            resolution_minutes=50,
        )
        Team.objects.filter(slug="monitoring").update(categories=["alerts"])
    exported = orgfile.export_yaml()
    assert orgfile.export_yaml() == exported  # stable
    outcome = orgfile.apply(exported, dry_run=True)
    assert outcome.ok, [i.format("export") for i in outcome.issues]
    assert outcome.changes == []


def test_an_export_rebuilds_the_organisation_after_it_was_wiped() -> None:
    applied(EXAMPLE)
    exported = orgfile.export_yaml()
    assert "holidays: {country: DE, subdivision: BE}" in exported
    assert "- {at_percent: 75, notify: [team_lead]}" in exported
    for model in (RoutingRule, OlaPolicy, SlaPolicy, HierarchyPolicy, Service, DeskPolicy):
        model.objects.all().delete()
    Team.objects.all().delete()
    User.objects.update(manager=None, organisation=None, role_title="", skills=[])
    RequesterOrganisation.objects.all().delete()
    BusinessCalendar.objects.all().delete()
    applied(exported)
    assert orgfile.export_yaml() == exported


def test_removing_a_service_that_tickets_are_about_is_refused() -> None:
    applied(EXAMPLE)
    rita = User.objects.get(username="rita")
    create_ticket(NewTicket(title="VPN drops every hour", service="vpn"), requester=rita)
    data = example_data()
    data["services"] = [s for s in data["services"] if s["slug"] != "vpn"]
    outcome = orgfile.apply(dump(data))
    assert [i.message for i in outcome.issues] == [
        "cannot remove service 'vpn': 1 tickets are about it"
    ]
    assert Service.objects.filter(slug="vpn").exists()


def test_removing_a_team_that_unlisted_rules_still_use_is_refused() -> None:
    applied(EXAMPLE)
    data = example_data()
    del data["routing_rules"]
    data["teams"] = [t for t in data["teams"] if t["slug"] != "monitoring"]
    for person in data["people"]:
        if person.get("teams") == ["monitoring"]:
            person["teams"] = ["infrastructure"]
    outcome = orgfile.apply(dump(data))
    assert [i.message for i in outcome.issues] == [
        "cannot remove team 'monitoring': stored routing_rules use it and the file does not "
        "list routing_rules"
    ]
    assert Team.objects.filter(slug="monitoring").exists()
