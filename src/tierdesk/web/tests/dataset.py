"""A realistic desk for screenshots and browser tests, built only through the commands.

Tickets are opened in the past (``at=``) and the scheduler is ticked at ``now`` so clocks,
warnings and breaches are the ones the real system would show.
"""

# mypy: disable-error-code="arg-type,assignment,misc"
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tierdesk.accounts.models import Role, RoleTitle, User
from tierdesk.escalations.services import escalate
from tierdesk.org.models import Membership, Team
from tierdesk.scheduler.loop import tick
from tierdesk.testing import Org, UserFactory, build_org, member
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, add_comment, assign, create_ticket, transition

PASSWORD = "correct horse battery"

NAMES = {
    "tom": ("Tom", "Berger", RoleTitle.TECHNICIAN),
    "tina": ("Tina", "Okafor", RoleTitle.CUSTOMER_SERVICE_ENGINEER),
    "sam": ("Sam", "Lindqvist", RoleTitle.APPLICATION_SPECIALIST),
    "dora": ("Dora", "Marchetti", RoleTitle.DATABASE_ADMINISTRATOR),
    "nick": ("Nick", "Haddad", RoleTitle.NETWORK_ENGINEER),
    "sec": ("Selma", "Chen", RoleTitle.SECURITY_ANALYST),
    "desklead": ("Dana", "Kowalski", RoleTitle.TEAM_LEAD),
    "itmanager": ("Ines", "Moreau", RoleTitle.IT_MANAGER),
    "incidents": ("Ivan", "Petrov", RoleTitle.INCIDENT_MANAGER),
    "cio": ("Claire", "Dubois", RoleTitle.CIO),
    "admin": ("Ada", "Admin", RoleTitle.SYSTEM_ADMINISTRATOR),
    "auditor": ("Aud", "Itor", RoleTitle.OPERATIONAL_ANALYST),
    "rita": ("Rita", "Requester", RoleTitle.REQUESTER),
    "otto": ("Otto", "Requester", RoleTitle.REQUESTER),
}
TEAM_NAMES = {
    "management": "IT Management",
    "service-desk": "Service Desk",
    "l2-apps": "L2 Applications",
    "l3-databases": "L3 Databases",
    "l3-networks": "L3 Networks",
    "security": "Security Operations",
    "infrastructure": "Infrastructure",
}


def with_password(user: User, password: str = PASSWORD) -> User:
    """Store a password so the person can sign in through the login form."""
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@dataclass
class Demo:
    org: Org
    tickets: dict[str, Ticket] = field(default_factory=dict)
    extra_agents: list[User] = field(default_factory=list)


def _name_people(org: Org) -> None:
    for user in User.objects.filter(username__in=NAMES):
        first, last, title = NAMES[user.username]
        user.first_name, user.last_name, user.role_title = first, last, title
        user.email = f"{user.username}@example.com"
        user.set_password(PASSWORD)
        user.save()
    for team in Team.objects.filter(slug__in=TEAM_NAMES):
        team.name = TEAM_NAMES[team.slug]
        team.save(update_fields=["name"])
    org.service_desk.refresh_from_db()


def build_demo(now: datetime) -> Demo:
    """About thirty tickets across the tiers, opened over the last days, some breached."""
    org = build_org()
    _name_people(org)
    demo = Demo(org)
    extra = [
        ("priya", "Priya", "Nair", org.service_desk, RoleTitle.TECHNICIAN, True),
        ("lukas", "Lukas", "Weber", org.service_desk, RoleTitle.TECHNICIAN, False),
        ("amara", "Amara", "Diallo", org.l2, RoleTitle.SYSTEM_SPECIALIST, True),
        ("jonas", "Jonas", "Ek", org.l3_db, RoleTitle.TECHNICAL_EXPERT, False),
    ]
    for username, first, last, team, title, on_shift in extra:
        demo.extra_agents.append(
            member(
                team,
                username=username,
                first_name=first,
                last_name=last,
                role_title=title,
                on_shift=on_shift,
                email=f"{username}@example.com",
            )
        )
    org.l2.lead = org.l2_agent
    org.l2.save(update_fields=["lead"])
    Membership.objects.get_or_create(user=org.lead, team=org.l2)
    requesters = [org.requester, org.other_requester] + [
        UserFactory(
            username=u,
            first_name=first,
            last_name=last,
            role=Role.REQUESTER,
            email=f"{u}@example.com",
        )
        for u, first, last in [
            ("marta", "Marta", "Svensson"),
            ("kofi", "Kofi", "Mensah"),
            ("yuki", "Yuki", "Tanaka"),
        ]
    ]
    specs = [
        ("Payroll export fails with timeout", "high", "high", 50, "database", "l3"),
        ("VPN disconnects every 20 minutes", "medium", "high", 240, "network", "l2"),
        ("Cannot print to 3rd floor printer", "low", "medium", 30, "", None),
        ("Outlook asks for password repeatedly", "medium", "medium", 90, "", "assign"),
        ("New laptop for starter on Monday", "low", "low", 2000, "", "assign"),
        ("CRM search returns no results", "high", "medium", 200, "", "l2"),
        ("Shared drive S: not mapped after login", "medium", "medium", 15, "", None),
        ("Database replica lag above 10 minutes", "high", "high", 400, "database", "l3"),
        ("Wi-Fi in meeting room 2.14 very slow", "medium", "low", 600, "network", "assign"),
        ("Request access to finance dashboard", "low", "medium", 1500, "", "resolved"),
        ("Teams calls drop audio", "medium", "high", 70, "", "assign"),
        ("Phishing mail reported by accounting", "high", "high", 10, "", None),
        ("Password reset for locked account", "medium", "high", 5, "", None),
        ("ERP month-end job stuck", "high", "high", 1000, "", "l2"),
        ("Monitor flickers", "low", "low", 3000, "", "assign"),
    ]
    for i, (title, impact, urgency, minutes_ago, category, path) in enumerate(specs):
        at = now - timedelta(minutes=minutes_ago)
        ticket = create_ticket(
            NewTicket(
                title=title,
                description=f"{title}. Reported by phone; the user tried restarting.",
                impact=impact,
                urgency=urgency,
                category=category,
                channel="portal" if i % 2 else "phone",
            ),
            requester=requesters[i % len(requesters)],
            at=at,
        )
        demo.tickets[title] = _progress(ticket, path, org, at)
    tick(now)
    return demo


def _progress(ticket: Ticket, path: str | None, org: Org, at: datetime) -> Ticket:
    step = timedelta(minutes=3)
    if path is None:
        return ticket
    agent = org.l1_agent if ticket.pk % 2 else org.l1_other
    ticket = assign(ticket, agent, actor=agent, at=at + step)
    if path == "assign":
        return ticket
    add_comment(
        ticket,
        "Thanks for reporting this. We are looking into it now.",
        actor=agent,
        at=at + 2 * step,
    )
    add_comment(
        ticket,
        "Checked the client logs: the error is on the server side, not the laptop.",
        actor=agent,
        internal=True,
        at=at + 3 * step,
    )
    if path == "resolved":
        transition(ticket, "in_progress", actor=agent, at=at + 4 * step)
        return transition(ticket, "resolved", actor=agent, note="Access granted.", at=at + 5 * step)
    ticket = escalate(
        ticket,
        actor=agent,
        to_tier=2,
        note="Reproduced with two users; restart and cache clear did not help. "
        "Logs attached in the internal note.",
        at=at + 4 * step,
    )
    if path == "l3":
        l2 = org.l2_agent
        ticket = assign(ticket, l2, actor=l2, at=at + 6 * step)
        add_comment(
            ticket,
            "Query plan changed after last night's statistics job.",
            actor=l2,
            internal=True,
            at=at + 7 * step,
        )
        ticket = escalate(
            ticket,
            actor=l2,
            to_team="l3-databases",
            note="Plan regression on payroll DB; needs a DBA to pin the old plan.",
            at=at + 8 * step,
        )
    return ticket
