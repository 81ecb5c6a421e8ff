"""L1's job done by rules: where new tickets land, and who in a team gets them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tierdesk.escalations.services import escalate
from tierdesk.org import config
from tierdesk.org.models import AssignmentStrategy
from tierdesk.routing.models import RoutingRule
from tierdesk.routing.rules import Draft, matches, validate_conditions
from tierdesk.testing import member
from tierdesk.tickets.services import NewTicket, assign, create_ticket, transition

pytestmark = pytest.mark.django_db


def test_new_tickets_land_at_the_service_desk_without_a_rule(org):
    ticket = create_ticket(NewTicket(title="Mouse"), requester=org.requester)
    assert ticket.team == org.service_desk
    assert ticket.tier == 1
    assert ticket.routed_by is None


def test_the_first_matching_rule_routes_and_is_recorded(org):
    RoutingRule.objects.create(
        name="network to L3", position=2, conditions={"keywords": ["vlan", "bgp"]}, team=org.l3_net
    )
    rule = RoutingRule.objects.create(
        name="phishing to security",
        position=1,
        conditions={"keywords": ["phishing"]},
        team=org.security,
        set_category="security",
    )
    ticket = create_ticket(NewTicket(title="Phishing mail mentions BGP"), requester=org.requester)
    assert ticket.team == org.security
    assert ticket.routed_by == rule
    assert ticket.category == "security"
    assert ticket.events.filter(kind="routed", data__rule="phishing to security").exists()


def test_a_rule_condition_on_several_fields_must_all_match(org):
    RoutingRule.objects.create(
        name="p1 db", conditions={"priority": "P1", "category": ["database"]}, team=org.l3_db
    )
    low = create_ticket(NewTicket(title="db", category="database"), requester=org.requester)
    high = create_ticket(
        NewTicket(title="db", category="Database", impact="high", urgency="high"),
        requester=org.requester,
    )
    assert low.team == org.service_desk
    assert high.team == org.l3_db


def test_round_robin_takes_turns_among_members_on_shift(org):
    desk = org.service_desk
    desk.assignment_strategy = AssignmentStrategy.ROUND_ROBIN
    desk.save()
    away = member(desk, username="away", on_shift=False)
    owners = [
        create_ticket(NewTicket(title=f"t{i}"), requester=org.requester).assignee for i in range(6)
    ]
    assert away not in owners
    assert len(set(owners)) == 3  # tom, tina and the lead, all on shift
    assert owners[:3] == owners[3:]


def test_least_loaded_weighs_open_work_by_priority(org):
    desk = org.service_desk
    for i in range(2):
        ticket = create_ticket(
            NewTicket(title=f"p5 {i}", impact="low", urgency="low"), requester=org.requester
        )
        assign(ticket, org.l1_agent, actor=org.l1_agent)
    heavy = create_ticket(
        NewTicket(title="p1", impact="high", urgency="high"), requester=org.requester
    )
    assign(heavy, org.l1_other, actor=org.l1_agent)
    assign(
        create_ticket(NewTicket(title="lead's"), requester=org.requester), org.lead, actor=org.lead
    )
    desk.assignment_strategy = AssignmentStrategy.LEAST_LOADED
    desk.save()
    # tom: two P5 (weight 2), tina: one P1 (8), lead: one P3 (3) -> tom
    assert create_ticket(NewTicket(title="next"), requester=org.requester).assignee == org.l1_agent


def test_skills_match_prefers_members_with_the_category_skill(org):
    l2 = org.l2
    l2.assignment_strategy = AssignmentStrategy.SKILLS
    l2.save()
    oracle = member(l2, username="oracle", skills=["Database", "backup"])
    ticket = create_ticket(NewTicket(title="slow", category="database"), requester=org.requester)
    ticket = escalate(ticket, actor=org.l1_agent, to_tier=2, note="db stuff")
    assert ticket.assignee == oracle
    assert ticket.status == "assigned"


def test_escalation_to_a_tier_picks_the_team_by_category(org):
    ticket = create_ticket(NewTicket(title="switch", category="network"), requester=org.requester)
    ticket = escalate(ticket, actor=org.l1_agent, to_tier=3, note="straight to L3")
    assert ticket.team == org.l3_net
    assert ticket.hops.get().direction == "up"


def test_a_team_given_a_category_after_the_desk_was_read_takes_its_escalations(org):
    config.bump()  # a configured desk has its generation stamp: its configuration is cached
    first = create_ticket(NewTicket(title="phone", category="telephony"), requester=org.requester)
    escalate(first, actor=org.l1_agent, to_tier=3, note="the desk is read and cached now")
    org.l3_net.categories = [*org.l3_net.categories, "telephony"]
    org.l3_net.save()
    ticket = create_ticket(
        NewTicket(title="desk phone", category="telephony"), requester=org.requester
    )
    ticket = escalate(ticket, actor=org.l1_agent, to_tier=3, note="phones are networks now")
    assert ticket.team == org.l3_net


def test_de_escalation_back_to_l1_is_recorded_as_such(org):
    ticket = create_ticket(NewTicket(title="db"), requester=org.requester)
    ticket = escalate(ticket, actor=org.l1_agent, to_tier=3, note="L3")
    ticket = escalate(ticket, actor=org.l3_agent, to_tier=1, note="please call the customer")
    assert ticket.team == org.service_desk
    hop = ticket.hops.order_by("created_at", "pk").last()
    assert hop.direction == "down"
    assert ticket.events.filter(kind="de-escalated", note="please call the customer").exists()


def test_handoff_to_a_specialist_team_goes_across(org):
    ticket = create_ticket(NewTicket(title="server down"), requester=org.requester)
    ticket = escalate(ticket, actor=org.l1_agent, to_team="infrastructure", note="hardware")
    assert ticket.tier is None
    assert ticket.hops.get().direction == "across"


texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)


@given(
    keywords=st.lists(
        st.text(alphabet="abcdefghij", min_size=1, max_size=6), min_size=1, max_size=4
    ),
    text=texts,
)
def test_a_keyword_rule_matches_exactly_when_a_keyword_is_a_word_of_the_text(keywords, text):
    conditions = validate_conditions({"keywords": keywords})
    draft = Draft(
        type="incident",
        category="",
        service=None,
        channel="api",
        priority="P3",
        organisation=None,
        text=text,
    )
    words = {w.lower() for w in re.findall(r"\w+", text)}
    assert matches(conditions, draft) == any(k.lower() in words for k in keywords)


@given(st.dictionaries(texts, st.one_of(texts, st.lists(texts), st.integers()), max_size=4))
def test_rule_validation_either_normalises_or_names_the_bad_key(conditions):
    from tierdesk.core.errors import InvalidInput

    outcome: object
    try:
        outcome = validate_conditions(conditions)
    except InvalidInput as exc:
        outcome = exc
    if isinstance(outcome, InvalidInput):
        assert outcome.message.startswith("conditions")
    else:
        assert isinstance(outcome, dict)
        assert all(isinstance(v, list) and v for v in outcome.values())


def test_least_loaded_ignores_work_already_resolved(org):
    desk = org.service_desk
    for i in range(3):
        done = assign(
            create_ticket(
                NewTicket(title=f"old {i}", impact="high", urgency="high"), requester=org.requester
            ),
            org.l1_agent,
            actor=org.l1_agent,
        )
        transition(
            transition(done, "in_progress", actor=org.l1_agent), "resolved", actor=org.l1_agent
        )
    for person in (org.l1_other, org.lead):
        assign(
            create_ticket(NewTicket(title="open"), requester=org.requester), person, actor=person
        )
    desk.assignment_strategy = AssignmentStrategy.LEAST_LOADED
    desk.save()
    # tom resolved three P1s and holds nothing open; tina and the lead hold one P3 each
    assert create_ticket(NewTicket(title="next"), requester=org.requester).assignee == org.l1_agent
