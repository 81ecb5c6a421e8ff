"""Factories for tests: organisation state by factory, tickets only through the commands."""

# mypy: disable-error-code="arg-type,assignment,misc"
from __future__ import annotations

from dataclasses import dataclass

import factory

from tierdesk.accounts.models import Role, User
from tierdesk.org.models import AssignmentStrategy, Membership, Team, TeamKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.AGENT
    password = factory.django.Password("correct horse battery")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    slug = factory.Sequence(lambda n: f"team-{n}")
    name = factory.LazyAttribute(lambda t: t.slug.replace("-", " ").title())
    kind = TeamKind.TIER
    level = 2


def member(team: Team, role: str = Role.AGENT, **fields: object) -> User:
    user: User = UserFactory(role=role, **fields)
    Membership.objects.create(user=user, team=team)
    return user


@dataclass
class Org:
    """A small tiered organisation: who is who in most tests."""

    management: Team
    service_desk: Team
    l2: Team
    l3_db: Team
    l3_net: Team
    security: Team
    infrastructure: Team
    requester: User
    other_requester: User
    l1_agent: User
    l1_other: User
    l2_agent: User
    l3_agent: User
    l3_net_agent: User
    security_analyst: User
    lead: User
    it_manager: User
    incident_manager: User
    cio: User
    admin: User
    auditor: User


def build_org() -> Org:
    cio = UserFactory(username="cio", role=Role.CIO)
    it_manager = UserFactory(username="itmanager", role=Role.IT_MANAGER, manager=cio)
    incident_manager = UserFactory(
        username="incidents", role=Role.INCIDENT_MANAGER, manager=it_manager
    )
    lead = UserFactory(username="desklead", role=Role.TEAM_LEAD, manager=it_manager)
    management = TeamFactory(
        slug="management", kind=TeamKind.MANAGEMENT, level=None, lead=it_manager
    )
    service_desk = TeamFactory(
        slug="service-desk",
        kind=TeamKind.SERVICE_DESK,
        level=1,
        parent=management,
        lead=lead,
        is_default_for_tier=True,
    )
    Membership.objects.create(user=lead, team=service_desk)
    l2 = TeamFactory(slug="l2-apps", level=2, parent=management, is_default_for_tier=True)
    l3_db = TeamFactory(
        slug="l3-databases", level=3, parent=l2, is_default_for_tier=True, categories=["database"]
    )
    l3_net = TeamFactory(slug="l3-networks", level=3, parent=l2, categories=["network"])
    security = TeamFactory(slug="security", kind=TeamKind.SECURITY, level=None, parent=management)
    infrastructure = TeamFactory(
        slug="infrastructure",
        kind=TeamKind.INFRASTRUCTURE,
        level=None,
        parent=management,
        assignment_strategy=AssignmentStrategy.MANUAL,
    )
    return Org(
        management=management,
        service_desk=service_desk,
        l2=l2,
        l3_db=l3_db,
        l3_net=l3_net,
        security=security,
        infrastructure=infrastructure,
        requester=UserFactory(username="rita", role=Role.REQUESTER),
        other_requester=UserFactory(username="otto", role=Role.REQUESTER),
        l1_agent=member(service_desk, username="tom", manager=lead),
        l1_other=member(service_desk, username="tina", manager=lead),
        l2_agent=member(l2, username="sam"),
        l3_agent=member(l3_db, username="dora"),
        l3_net_agent=member(l3_net, username="nick"),
        security_analyst=member(security, username="sec"),
        lead=lead,
        it_manager=it_manager,
        incident_manager=incident_manager,
        cio=cio,
        admin=UserFactory(username="admin", role=Role.ADMIN),
        auditor=UserFactory(username="auditor", role=Role.AUDITOR),
    )
