from __future__ import annotations

import re
from html import unescape as html_unescape

import pytest

from tierdesk.accounts.models import User
from tierdesk.escalations.services import escalate
from tierdesk.tickets.models import Comment, Ticket, TicketLink
from tierdesk.tickets.services import add_comment, assign

pytestmark = pytest.mark.django_db


HTMX = {"HX-Request": "true"}


def assign_panel_url(page: str) -> str:
    """The address the ticket page loads its assign picker from."""
    return html_unescape(re.search(r'hx-get="([^"]*/assign[^"]*)"', page).group(1))


def panel_version(panel: str) -> str:
    """The version the assign panel's form holds."""
    return re.search(r'name="version" value="(\d+)"', panel).group(1)


def version_in(html: str, form: str) -> str:
    section = html[html.index(f'id="{form}"') :]
    return re.search(r'name="(?:\w+-)?version" value="(\d+)"', section).group(1)


def test_the_header_shows_who_what_where_and_both_clocks(org, client_as, open_ticket) -> None:
    ticket = assign(open_ticket(), org.l1_agent, actor=org.l1_agent)
    html = client_as(org.l1_agent).get(f"/tickets/{ticket.key}").content.decode()
    for text in [
        ticket.key,
        "VPN drops every hour",
        "P3 – medium",
        "Assigned",
        "L1",
        "Service Desk",
        org.l1_agent.display_name,
        org.requester.display_name,
        "Tier OLA",
        "Customer SLA",
    ]:
        assert text in html, text
    assert html.count('class="sla sla-ok"') == 2


def test_internal_notes_and_replies_are_labelled_and_styled_differently(
    org, client_as, open_ticket
) -> None:
    ticket = open_ticket()
    add_comment(ticket, "Hello, we are on it.", actor=org.l1_agent)
    add_comment(ticket, "Probably the RADIUS server.", actor=org.l1_agent, internal=True)
    html = client_as(org.l1_agent).get(f"/tickets/{ticket.key}").content.decode()
    reply = html.index("Hello, we are on it.")
    note = html.index("Probably the RADIUS server.")
    assert html.rfind('<li class="reply">', 0, reply) > html.rfind("<li", 0, reply) - 1
    assert html.rfind('<li class="note">', 0, note) == html.rfind("<li", 0, note)
    assert html.rfind("Internal note</span>", 0, note) > reply
    assert "Public reply</span>" in html[:reply]


def test_the_timeline_shows_escalations_with_their_handoff_notes_and_sla_events(
    org, client_as, open_ticket
) -> None:
    ticket = escalate(
        open_ticket(), actor=org.l1_agent, note="Tried the usual; needs L2.", to_tier=2
    )
    html = client_as(org.l2_agent).get(f"/tickets/{ticket.key}").content.decode()
    assert "Escalated from Service Desk to L2 Apps (L1 → L2)" in html
    assert "Tried the usual; needs L2." in html
    assert "Opened via portal as P3" in html


def test_an_agent_replies_and_writes_an_internal_note_from_the_page(
    org, client_as, open_ticket
) -> None:
    ticket = open_ticket()
    client = client_as(org.l1_agent)
    response = client.post(
        f"/tickets/{ticket.key}/reply",
        {
            "kind": "reply",
            "reply-body": "We restarted the gateway.",
            "reply-version": ticket.version,
        },
    )
    assert response["Location"] == f"/tickets/{ticket.key}#reply"
    client.post(
        f"/tickets/{ticket.key}/reply",
        {"kind": "note", "note-body": "Gateway log shows flaps.", "note-version": ticket.version},
    )
    comments = list(Comment.objects.filter(ticket=ticket).order_by("pk"))
    assert [(c.body, c.internal) for c in comments] == [
        ("We restarted the gateway.", False),
        ("Gateway log shows flaps.", True),
    ]


def test_an_empty_reply_is_refused_with_the_form_shown_again(org, client_as, open_ticket) -> None:
    ticket = open_ticket()
    response = client_as(org.l1_agent).post(
        f"/tickets/{ticket.key}/reply", {"kind": "reply", "reply-body": " ", "reply-version": "1"}
    )
    assert response.status_code == 422
    assert b"This field is required" in response.content


def test_a_concurrent_change_is_shown_not_overwritten(org, client_as, open_ticket) -> None:
    ticket = open_ticket()
    agent = client_as(org.l1_agent)
    page = agent.get(f"/tickets/{ticket.key}").content.decode()
    assign(ticket, org.l1_other, actor=org.l1_other)  # a colleague acts first
    seen = panel_version(agent.get(assign_panel_url(page), headers=HTMX).content.decode())
    response = client_as(org.l1_agent).post(
        f"/tickets/{ticket.key}/assign", {"assignee": "tom", "version": seen}
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert f"{ticket.key} changed since you opened it — reload" in html
    assert Ticket.objects.get(pk=ticket.pk).assignee == org.l1_other
    assert version_in(html, "assign") == str(Ticket.objects.get(pk=ticket.pk).version)


def test_the_assign_picker_lists_team_members_with_load_and_shift(
    org, client_as, open_ticket
) -> None:
    assign(open_ticket("Busy"), org.l1_other, actor=org.l1_other)
    User.objects.filter(pk=org.l1_other.pk).update(on_shift=False)
    ticket = open_ticket()
    html = client_as(org.l1_agent).get(f"/tickets/{ticket.key}/assign", headers=HTMX)
    html = html.content.decode()
    assert f"{org.l1_other.display_name} — 1 open, away" in html
    assert f"{org.l1_agent.display_name} — 0 open, on shift" in html
    assert org.l2_agent.display_name not in html


def test_the_page_asks_for_the_assign_picker_once_shown_with_the_version_it_shows(
    org, client_as, open_ticket
) -> None:
    ticket = open_ticket()
    page = client_as(org.l1_agent).get(f"/tickets/{ticket.key}").content.decode()
    section = page.split('id="assign"')[1].split("</section>")[0]
    assert "<select" not in section  # counting the team's open work is left to the panel
    assert 'hx-trigger="load"' in section
    panel = f"/tickets/{ticket.key}/assign?version={ticket.version}"
    assert assign_panel_url(page) == panel
    assert f'href="{panel}"' in section  # without JavaScript, the same form as a page


def test_the_panel_holds_the_version_the_page_showed_so_a_change_in_between_is_refused(
    org, client_as, open_ticket
) -> None:
    ticket = open_ticket()
    agent = client_as(org.l1_agent)
    page = agent.get(f"/tickets/{ticket.key}").content.decode()
    assign(ticket, org.l1_other, actor=org.l1_other)  # lands before the panel is loaded
    panel = agent.get(assign_panel_url(page), headers=HTMX).content.decode()
    seen = panel_version(panel)
    assert seen == str(ticket.version)
    response = agent.post(f"/tickets/{ticket.key}/assign", {"assignee": "tom", "version": seen})
    assert response.status_code == 409
    assert Ticket.objects.get(pk=ticket.pk).assignee == org.l1_other


@pytest.mark.parametrize("shown", ["", "0", "abc", "-1", "1e3", "2147483648", "1 OR 1=1"])
def test_a_panel_asked_with_a_bad_version_holds_the_current_one(
    org, client_as, open_ticket, shown: str
) -> None:
    ticket = open_ticket()
    response = client_as(org.l1_agent).get(
        f"/tickets/{ticket.key}/assign", {"version": shown}, headers=HTMX
    )
    assert response.status_code == 200
    current = Ticket.objects.get(pk=ticket.pk).version
    assert panel_version(response.content.decode()) == str(current)


def test_the_panel_answers_a_fragment_or_a_page_and_says_it_varies_by_htmx(
    org, client_as, open_ticket
) -> None:
    ticket = open_ticket()
    response = client_as(org.l1_agent).get(f"/tickets/{ticket.key}/assign", headers=HTMX)
    assert "<html" not in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_without_htmx_the_assign_panel_is_a_page_of_its_own(org, client_as, open_ticket) -> None:
    ticket = open_ticket()
    response = client_as(org.l1_agent).get(f"/tickets/{ticket.key}/assign")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert f"Assign {ticket.key}" in html
    assert f"{org.l1_agent.display_name} — " in html


def test_only_people_who_may_work_on_the_ticket_get_the_assign_panel(
    org, client_as, open_ticket
) -> None:
    ticket = open_ticket()
    assert client_as(org.auditor).get(f"/tickets/{ticket.key}").status_code == 200
    assert client_as(org.auditor).get(f"/tickets/{ticket.key}/assign").status_code == 403
    # An agent who worked on it still sees it after it moved on, but no longer assigns it.
    assign(ticket, org.l1_agent, actor=org.l1_agent)
    escalate(ticket, actor=org.admin, note="moving", to_team=org.l2.slug)
    assert client_as(org.l1_agent).get(f"/tickets/{ticket.key}").status_code == 200
    assert client_as(org.l1_agent).get(f"/tickets/{ticket.key}/assign").status_code == 403
    assert client_as(org.l3_agent).get(f"/tickets/{ticket.key}/assign").status_code == 404
    assert client_as(org.requester).get(f"/tickets/{ticket.key}/assign").status_code == 403


def test_only_the_allowed_transitions_are_offered(org, client_as, open_ticket) -> None:
    ticket = open_ticket()
    html = client_as(org.l1_agent).get(f"/tickets/{ticket.key}").content.decode()
    form = html.split('id="transition"')[1].split("</form>")[0]
    offered = re.findall(r'<option value="(\w+)"', form)
    assert offered == [
        "assigned",
        "in_progress",
        "waiting_on_customer",
        "waiting_on_third_party",
        "resolved",
        "cancelled",
    ]


def test_a_transition_the_lifecycle_refuses_is_a_message(org, client_as, open_ticket) -> None:
    ticket = open_ticket()
    response = client_as(org.l1_agent).post(
        f"/tickets/{ticket.key}/transition", {"to": "assigned", "version": ticket.version}
    )
    assert response.status_code == 422
    assert b"assign the ticket to someone before marking it assigned" in response.content


def test_escalation_needs_a_handoff_note_and_then_moves_the_ticket(
    org, client_as, open_ticket
) -> None:
    ticket = open_ticket()
    client = client_as(org.l1_agent)
    url = f"/tickets/{ticket.key}/escalate"
    refused = client.post(url, {"target": "tier:2", "note": "", "version": ticket.version})
    assert refused.status_code == 422
    assert Ticket.objects.get(pk=ticket.pk).tier == 1
    client.post(url, {"target": "tier:2", "note": "Needs L2", "version": ticket.version})
    moved = Ticket.objects.get(pk=ticket.pk)
    assert moved.team == org.l2
    client_as(org.l2_agent).post(
        url, {"target": "team:l3-networks", "note": "Routing issue", "version": moved.version}
    )
    assert Ticket.objects.get(pk=ticket.pk).team == org.l3_net


def test_de_escalation_sends_the_ticket_back_down(org, client_as, open_ticket) -> None:
    ticket = escalate(open_ticket(), actor=org.l1_agent, note="up", to_tier=2)
    html = (
        client_as(org.l2_agent)
        .post(
            f"/tickets/{ticket.key}/escalate",
            {"target": "tier:1", "note": "Known fix, L1 can apply it", "version": ticket.version},
            follow=True,
        )
        .content.decode()
    )
    assert Ticket.objects.get(pk=ticket.pk).tier == 1
    assert "De-escalated from L2 Apps to Service Desk" in html


def test_changing_impact_recomputes_priority_and_an_override_needs_a_reason(
    org, client_as, open_ticket
) -> None:
    ticket = open_ticket()
    client = client_as(org.l1_agent)
    url = f"/tickets/{ticket.key}/fields"
    client.post(url, {"impact": "high", "urgency": "medium", "priority": "", "version": 1})
    ticket.refresh_from_db()
    assert ticket.priority == "P2"
    refused = client.post(
        url, {"impact": "high", "urgency": "medium", "priority": "P1", "version": ticket.version}
    )
    assert refused.status_code == 422
    assert b"priority_reason must not be empty" in refused.content
    client.post(
        url,
        {
            "impact": "high",
            "urgency": "medium",
            "priority": "P1",
            "priority_reason": "CEO",
            "version": ticket.version,
        },
    )
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.priority_overridden) == ("P1", True)


def test_link_and_merge_go_through_the_services(org, client_as, open_ticket) -> None:
    first, second, dup = open_ticket("First"), open_ticket("Second"), open_ticket("Dup")
    client = client_as(org.l1_agent)
    client.post(
        f"/tickets/{first.key}/link", {"kind": "related", "target": second.key, "version": 1}
    )
    assert TicketLink.objects.filter(source=first, target=second, kind="related").exists()
    client.post(f"/tickets/{dup.key}/merge", {"target": first.key, "version": 1})
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into_id) == ("cancelled", first.pk)
    html = client.get(f"/tickets/{dup.key}").content.decode()
    assert f'Merged into <a href="/tickets/{first.key}">' in html


def test_linking_to_a_ticket_that_does_not_exist_is_a_message(org, client_as, open_ticket) -> None:
    ticket = open_ticket()
    response = client_as(org.l1_agent).post(
        f"/tickets/{ticket.key}/link", {"kind": "related", "target": "TD-99999", "version": 1}
    )
    assert response.status_code == 422
    assert b"no ticket &#x27;TD-99999&#x27; that you can see" in response.content


def test_an_auditor_reads_the_page_without_action_forms_and_cannot_post(
    org, client_as, open_ticket
) -> None:
    ticket = open_ticket()
    client = client_as(org.auditor)
    html = client.get(f"/tickets/{ticket.key}").content.decode()
    assert "You can read this ticket but not change it." in html
    assert 'action="/tickets/' not in html
    response = client.post(f"/tickets/{ticket.key}/assign", {"assignee": "", "version": 1})
    assert response.status_code == 403
    assert b"you may read" in response.content


def test_a_ticket_the_agent_may_not_see_is_not_found(org, client_as, open_ticket) -> None:
    ticket = open_ticket()
    assert client_as(org.l3_agent).get(f"/tickets/{ticket.key}").status_code == 404
    assert client_as(org.l1_agent).get("/tickets/TD-abc").status_code == 404
