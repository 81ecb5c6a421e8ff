"""The example organisation scaled to about 200 agents in 20 teams, plus requesters.

``examples/org.yaml`` is applied through the org-as-code module when the database has no
teams yet and the file is there; the teams of :data:`TEAM_PLAN` that it lacks are added and
every team is filled up to its size with generated agents. :func:`snapshot` then reads the
organisation back into plain data that generator workers can use without queries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from tierdesk.accounts.models import Role, RoleTitle, User
from tierdesk.bench import vocab
from tierdesk.org import policies
from tierdesk.org.models import (
    AssignmentStrategy,
    Membership,
    RequesterOrganisation,
    Service,
    Team,
    TeamKind,
)
from tierdesk.routing.models import RoutingRule

RR, LL, SK, MANUAL = (
    AssignmentStrategy.ROUND_ROBIN,
    AssignmentStrategy.LEAST_LOADED,
    AssignmentStrategy.SKILLS,
    AssignmentStrategy.MANUAL,
)
# slug, name, kind, level, parent, assignment, default for tier, categories, staff size
Plan = tuple[str, str, str, int | None, str | None, str, bool, tuple[str, ...], int]
# fmt: off
TEAM_PLAN: tuple[Plan, ...] = (
    ("management", "IT management", "management", None, None, MANUAL, False, (), 6),
    ("service-desk", "Service desk", "service_desk", 1, "management", RR, True, (), 40),
    ("service-desk-night", "Service desk (night shift)", "service_desk", 1, "management", RR,
     False, (), 14),
    ("field-services", "Field services", "service_desk", 1, "service-desk", RR, False,
     ("hardware", "printing"), 12),
    ("l2-systems", "L2 systems", "tier", 2, "service-desk", LL, True,
     ("hardware", "operating-system", "accounts", "vpn", "network"), 14),
    ("l2-apps", "L2 applications", "tier", 2, "service-desk", LL, False,
     ("email", "erp", "payroll", "website", "office"), 14),
    ("l2-workplace", "L2 workplace", "tier", 2, "service-desk", LL, False,
     ("printing", "telephony"), 10),
    ("l2-identity", "L2 identity and access", "tier", 2, "service-desk", SK, False,
     ("identity",), 8),
    ("l3-databases", "L3 databases", "tier", 3, "l2-systems", SK, True, ("database",), 8),
    ("l3-networks", "L3 networks", "tier", 3, "l2-systems", SK, False,
     ("network", "vpn", "firewall"), 8),
    ("l3-development", "L3 software development", "tier", 3, "l2-apps", SK, False,
     ("website", "erp", "payroll"), 12),
    ("l3-architecture", "L3 architecture", "tier", 3, "l2-apps", MANUAL, False,
     ("architecture",), 5),
    ("l3-storage", "L3 storage and backup", "tier", 3, "l2-systems", SK, False,
     ("storage", "backup"), 6),
    ("l3-cloud", "L3 cloud platform", "tier", 3, "l2-systems", SK, False, ("cloud",), 6),
    ("l3-telephony", "L3 telephony", "tier", 3, "l2-workplace", MANUAL, False,
     ("telephony",), 5),
    ("infrastructure", "Infrastructure operations", "infrastructure", None, "management", LL,
     False, (), 10),
    ("datacenter", "Data centre operations", "infrastructure", None, "infrastructure", LL,
     False, (), 6),
    ("monitoring", "Monitoring (NOC)", "monitoring", None, "infrastructure", RR, False, (), 8),
    ("monitoring-apps", "Application monitoring", "monitoring", None, "monitoring", RR, False,
     (), 5),
    ("security", "Security operations", "security", None, "management", LL, False, (), 8),
)
# fmt: on
TITLE_BY_KIND = {
    "service_desk": RoleTitle.TECHNICIAN,
    "tier": RoleTitle.SYSTEM_SPECIALIST,
    "infrastructure": RoleTitle.SYSTEM_ADMINISTRATOR,
    "monitoring": RoleTitle.MONITORING_SPECIALIST,
    "security": RoleTitle.SECURITY_ANALYST,
    "management": RoleTitle.TEAM_LEAD,
}
UNUSABLE_PASSWORD = "!bench"  # generated people log in with API tokens only


@dataclass
class TeamInfo:
    id: int
    slug: str
    kind: str
    level: int | None
    lead_id: int | None
    strategy: str
    default_for_tier: bool
    categories: tuple[str, ...]
    members: tuple[int, ...]


@dataclass
class RuleInfo:
    id: int
    name: str
    conditions: dict[str, list[str]]
    team_id: int | None
    set_category: str
    set_priority: str
    assignee_id: int | None
    watcher_ids: tuple[int, ...]


@dataclass
class OrgModel:
    """Everything about the organisation a generator worker needs, as plain picklable data."""

    teams: dict[int, TeamInfo]
    usernames: dict[int, str]
    requesters: list[tuple[int, int | None]]
    organisation_slugs: dict[int, str]
    services: dict[str, tuple[int, str, dict[str, Any] | None]]
    rules: list[RuleInfo]
    matrix: dict[str, dict[str, str]]
    auto_close_days: int
    service_desk: int
    security: int | None
    monitoring: int | None
    night_desk: int | None
    field_desk: int | None
    by_tier: dict[int, list[int]] = field(default_factory=dict)
    managers: dict[int, int] = field(default_factory=dict)
    role_people: dict[str, list[str]] = field(default_factory=dict)


def example_org_file() -> Path | None:
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = base / "examples" / "org.yaml"
        if candidate.is_file():
            return candidate
    return None


def build(requesters: int, seed: int) -> OrgModel:
    """Make sure the scaled organisation exists (idempotent), then return its snapshot."""
    rng = random.Random(seed)
    if not Team.objects.exists():
        _apply_example()
    with transaction.atomic():
        _add_planned_teams(rng)
        _add_requesters(requesters, rng)
    return snapshot()


def _apply_example() -> None:
    path = example_org_file()
    if path is None:
        return
    try:
        from tierdesk.org import orgfile
    except ImportError:  # the org-as-code module is optional for the generator
        return
    outcome = orgfile.apply(path.read_bytes(), note="benchmark organisation")
    if not outcome.ok:
        raise RuntimeError(f"{path}: {'; '.join(str(issue) for issue in outcome.issues[:3])}")


def _person(rng: random.Random, username: str, role: str, title: str, **extra: Any) -> User:
    first, last = vocab.person_name(rng)
    return User(
        username=username,
        email=f"{username}@bench.example.com",
        first_name=first,
        last_name=last,
        role=role,
        role_title=title,
        password=UNUSABLE_PASSWORD,
        **extra,
    )


def _add_planned_teams(rng: random.Random) -> None:
    manager = User.objects.filter(role=Role.IT_MANAGER).order_by("pk").first()
    if manager is None:
        manager = _person(rng, "bench-itmanager", Role.IT_MANAGER, RoleTitle.IT_MANAGER)
        manager.save()
    for role in (Role.CIO, Role.INCIDENT_MANAGER, Role.ADMIN, Role.AUDITOR):
        if not User.objects.filter(role=role).exists():
            _person(rng, f"bench-{role.replace('_', '-')}", role, "", manager=manager).save()
    teams = {team.slug: team for team in Team.objects.all()}
    for slug, name, kind, level, parent, strategy, default, categories, size in TEAM_PLAN:
        team = teams.get(slug)
        if team is None:
            lead = _person(
                rng, f"{slug}-lead", Role.TEAM_LEAD, RoleTitle.TEAM_LEAD, manager=manager
            )
            lead.save()
            has_default = any(t.level == level and t.is_default_for_tier for t in teams.values())
            team = Team.objects.create(
                slug=slug,
                name=name,
                kind=kind,
                level=level,
                lead=lead,
                parent=teams.get(parent or ""),
                assignment_strategy=strategy,
                is_default_for_tier=default and not has_default,
                categories=list(categories),
            )
            Membership.objects.create(user=lead, team=team)
            teams[slug] = team
        _fill(team, size, rng)


def _fill(team: Team, size: int, rng: random.Random) -> None:
    present = Membership.objects.filter(team=team).count()
    if present >= size:
        return
    title = TITLE_BY_KIND.get(team.kind, RoleTitle.TECHNICIAN)
    skills = list(team.categories)
    people = [
        _person(
            rng,
            f"{team.slug}-{number:03d}",
            Role.AGENT,
            title,
            manager_id=team.lead_id,
            skills=rng.sample(skills, min(len(skills), 2)) if skills else [],
        )
        for number in range(present, size)
    ]
    User.objects.bulk_create(people, batch_size=500)
    created = User.objects.filter(username__in=[p.username for p in people])
    Membership.objects.bulk_create([Membership(user=user, team=team) for user in created])


def _add_requesters(count: int, rng: random.Random) -> None:
    for department in vocab.DEPARTMENTS:
        RequesterOrganisation.objects.get_or_create(
            slug=department,
            defaults={
                "name": department.replace("-", " ").title(),
                "domains": [f"{department}.bench.example.com"],
            },
        )
    organisations = list(RequesterOrganisation.objects.order_by("pk"))
    present = User.objects.filter(role=Role.REQUESTER).count()
    people = [
        _person(
            rng,
            f"req{number:06d}",
            Role.REQUESTER,
            RoleTitle.REQUESTER,
            organisation=rng.choice(organisations),
        )
        for number in range(present, count)
    ]
    User.objects.bulk_create(people, batch_size=1000)


def snapshot() -> OrgModel:
    members: dict[int, list[int]] = {}
    for team_id, user_id in (
        Membership.objects.filter(user__is_active=True, user__on_shift=True)
        .exclude(user__role=Role.REQUESTER)
        .order_by("user_id")
        .values_list("team_id", "user_id")
    ):
        members.setdefault(team_id, []).append(user_id)
    teams = {
        team.pk: TeamInfo(
            team.pk,
            team.slug,
            team.kind,
            team.level,
            team.lead_id,
            team.assignment_strategy,
            team.is_default_for_tier,
            tuple(c.lower() for c in team.categories),
            tuple(members.get(team.pk, ())),
        )
        for team in Team.objects.order_by("pk")
    }
    by_slug = {team.slug: team.id for team in teams.values()}
    by_tier: dict[int, list[int]] = {}
    for team in sorted(teams.values(), key=lambda t: (not t.default_for_tier, t.id)):
        if team.level and team.kind in (TeamKind.TIER, TeamKind.SERVICE_DESK) and team.members:
            by_tier.setdefault(team.level, []).append(team.id)
    desks = by_tier.get(1) or []
    if not desks:
        raise RuntimeError("the organisation has no service desk with agents on shift")

    def first_of(kind: str) -> int | None:
        return next((t.id for t in teams.values() if t.kind == kind and t.members), None)

    services = {}
    for service in Service.objects.select_related("calendar"):
        calendar = service.calendar.spec if service.calendar else None
        services[service.slug] = (service.pk, service.slug, calendar)
    rules = [
        RuleInfo(
            rule.pk,
            rule.name,
            dict(rule.conditions),
            rule.team_id,
            rule.set_category,
            rule.set_priority,
            rule.assignee_id,
            tuple(w.pk for w in rule.watchers.all()),
        )
        for rule in RoutingRule.objects.filter(enabled=True).prefetch_related("watchers")
    ]
    usernames = dict(User.objects.exclude(role=Role.REQUESTER).values_list("pk", "username"))
    requesters: list[tuple[int, int | None]] = list(
        User.objects.filter(role=Role.REQUESTER, is_active=True)
        .order_by("pk")
        .values_list("pk", "organisation_id")
    )
    usernames.update(
        User.objects.filter(role=Role.REQUESTER, is_active=True).values_list("pk", "username")
    )
    return OrgModel(
        teams=teams,
        usernames=usernames,
        requesters=requesters,
        organisation_slugs=dict(RequesterOrganisation.objects.values_list("pk", "slug")),
        services=services,
        rules=rules,
        matrix=policies.priority_matrix(),
        auto_close_days=policies.auto_close_days(),
        service_desk=desks[0],
        security=first_of(TeamKind.SECURITY),
        monitoring=first_of(TeamKind.MONITORING),
        night_desk=by_slug.get("service-desk-night"),
        field_desk=by_slug.get("field-services"),
        by_tier=by_tier,
        managers=dict(
            User.objects.filter(manager__isnull=False, is_active=True)
            .exclude(role=Role.REQUESTER)
            .values_list("pk", "manager_id")
        ),
        role_people={
            role: sorted(
                User.objects.filter(role=role, is_active=True).values_list("username", flat=True)
            )
            for role in (Role.INCIDENT_MANAGER, Role.IT_MANAGER, Role.CIO)
        },
    )
