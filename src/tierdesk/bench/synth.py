"""The life of one generated ticket: routing, the tiers it passes, who acts when, its fate.

:class:`Synth` turns a ticket index into rows for every table a real ticket touches
(ticket, comments, stints, hops, timers, participations, watchers, events), following what
the commands would have written: the same event kinds and payloads, the same status moves.
Chains and hashes are added by :mod:`tierdesk.bench.rows`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tierdesk.bench import vocab
from tierdesk.bench.arrivals import Arrivals
from tierdesk.bench.orgscale import OrgModel, TeamInfo
from tierdesk.bench.slamodel import SYSTEM, ClockInput, Clocks, Event, outcome
from tierdesk.routing.rules import Draft, matches

if TYPE_CHECKING:
    from tierdesk.bench.chainrows import Chainer

DAY = 86_400
TYPES = (
    ("incident", 55),
    ("service_request", 35),
    ("change", 5),
    ("problem", 3),
    ("security_incident", 2),
)
INCIDENT_CATEGORIES = (
    ("email", 12),
    ("network", 9),
    ("vpn", 8),
    ("erp", 8),
    ("hardware", 10),
    ("printing", 7),
    ("office", 8),
    ("operating-system", 6),
    ("database", 5),
    ("website", 4),
    ("payroll", 2),
    ("storage", 3),
    ("backup", 2),
    ("cloud", 3),
    ("telephony", 4),
    ("firewall", 2),
    ("identity", 3),
    ("monitoring", 2),
)
REQUEST_CATEGORIES = (
    ("accounts", 25),
    ("hardware", 18),
    ("office", 12),
    ("identity", 10),
    ("firewall", 6),
    ("storage", 6),
    ("backup", 5),
    ("telephony", 6),
    ("cloud", 5),
    ("erp", 4),
    ("architecture", 3),
)
LEVELS = ("high", "medium", "low")
IMPACT = {
    "incident": (10, 45, 45),
    "security_incident": (35, 45, 20),
    "problem": (20, 50, 30),
    "change": (5, 35, 60),
    "service_request": (2, 28, 70),
}
URGENCY = {
    "incident": (20, 50, 30),
    "security_incident": (50, 40, 10),
    "problem": (5, 40, 55),
    "change": (5, 40, 55),
    "service_request": (5, 35, 60),
}
CHANNELS = (("email", 35), ("portal", 30), ("phone", 20), ("chat", 8), ("api", 2))
SERVICE_OF = {
    "email": "email",
    "vpn": "vpn",
    "erp": "erp",
    "payroll": "payroll",
    "website": "website",
    "hardware": "workplace",
    "printing": "workplace",
    "database": "database-platform",
}
SPEED = {"P1": 0.12, "P2": 0.35, "P3": 1.0, "P4": 1.5, "P5": 2.5}
STAY = {1: 3 * 3600, 2: 14 * 3600, 3: 40 * 3600}
FIRST_RESPONSE = {"P1": 600, "P2": 1500, "P3": 5400, "P4": 14400, "P5": 28800}
LONG_EVERY = 5000  # one ticket in LONG_EVERY gets a 100-entry timeline (detail scenario)
API = "api"


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    total = sum(w for _, w in table)
    pick = rng.random() * total
    for value, weight in table:
        pick -= weight
        if pick < 0:
            return value
    return table[-1][0]


def _level(rng: random.Random, weights: tuple[int, int, int]) -> str:
    return _weighted(rng, tuple(zip(LEVELS, weights, strict=True)))


def open_probability(age: int) -> float:
    """Recent tickets are mostly open; a backlog of older ones stays open for long."""
    if age < 7 * DAY:
        return 0.85
    if age < 30 * DAY:
        return 0.45
    if age < 180 * DAY:
        return 0.22
    return 0.035


@dataclass
class Rows:
    """One batch of generated rows, per table, in the writer's column order."""

    tickets: list[tuple[Any, ...]] = field(default_factory=list)
    comments: list[tuple[Any, ...]] = field(default_factory=list)
    stints: list[tuple[Any, ...]] = field(default_factory=list)
    hops: list[tuple[Any, ...]] = field(default_factory=list)
    timers: list[tuple[Any, ...]] = field(default_factory=list)
    participations: list[tuple[Any, ...]] = field(default_factory=list)
    watchers: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    heads: list[tuple[Any, ...]] = field(default_factory=list)
    open_tickets: int = 0


@dataclass
class Life:
    """The generated story of one ticket before it is turned into rows."""

    id: int
    created: int
    requester: int
    channel: str
    events: list[Event] = field(default_factory=list)
    comments: list[tuple[int, int, str, bool, str, int]] = field(default_factory=list)
    actors: set[int] = field(default_factory=set)
    status: str = "new"
    assignee: int | None = None
    responded: int | None = None

    def add(
        self,
        ts: int,
        actor: int | None,
        kind: str,
        field_name: str = "",
        before: Any = None,
        after: Any = None,
        note: str = "",
        channel: str = API,
        **data: Any,
    ) -> None:
        self.events.append((ts, actor, channel, kind, field_name, before, after, note, data))
        if actor is not None and actor != self.requester:
            self.actors.add(actor)

    def move(self, ts: int, actor: int | None, to: str, note: str = "", channel: str = API) -> None:
        self.add(ts, actor, "status_changed", "status", self.status, to, note, channel)
        self.status = to


class Synth:
    def __init__(
        self, org: OrgModel, arrivals: Arrivals, now: int, ids: IdBlocks, chainer: Chainer
    ) -> None:
        self.org, self.arrivals, self.now, self.ids = org, arrivals, now, ids
        self.chainer, self.fmt = chainer, chainer.fmt
        self.clocks = Clocks(arrivals.start, now)
        self._tier_team: dict[tuple[int, str], int] = {}
        self.rng = random.Random(0)

    def username(self, user: int | None) -> str | None:
        return self.org.usernames.get(user) if user is not None else None

    def team_for_tier(self, tier: int, category: str) -> int:
        key = (tier, category)
        if key not in self._tier_team:
            candidates = self.org.by_tier.get(tier) or self.org.by_tier[1]
            teams = [self.org.teams[t] for t in candidates]
            match = next((t.id for t in teams if category in t.categories), None)
            self._tier_team[key] = match or teams[0].id
        return self._tier_team[key]

    def batch(self, number: int, seed: int, first_index: int, count: int, first_id: int) -> Rows:
        """Rows for tickets ``first_index`` … ``first_index + count - 1`` (batch ``number``)."""
        from tierdesk.bench.rows import add_ticket

        self.rng = random.Random(seed * 1_000_003 + number)
        self.ids.start_batch(number)
        rows = Rows()
        for offset in range(count):
            add_ticket(self, rows, first_index + offset, first_id + offset)
        return rows

    def route(self, life: Life, draft: Draft) -> tuple[int, Any, str, str]:
        """(team id, matching rule, category, priority) as the routing rules decide."""
        for rule in self.org.rules:
            if matches(rule.conditions, draft):
                team = rule.team_id or self.default_team(life, draft)
                return (
                    team,
                    rule,
                    rule.set_category or draft.category,
                    (rule.set_priority or draft.priority),
                )
        return self.default_team(life, draft), None, draft.category, draft.priority

    def default_team(self, life: Life, draft: Draft) -> int:
        org, rng = self.org, self.rng
        if draft.type == "security_incident" and org.security:
            return org.security
        if org.field_desk and draft.category in ("hardware", "printing") and rng.random() < 0.4:
            return org.field_desk
        local_hour = (life.created // 3600 + 1) % 24
        if org.night_desk and not 7 <= local_hour < 19 and rng.random() < 0.8:
            return org.night_desk
        return org.service_desk

    def path(self, entry: TeamInfo, category: str) -> list[TeamInfo]:
        rng, teams = self.rng, self.org.teams
        path = [entry]
        if entry.level == 1:
            fate = rng.random()
            final = 1 if fate < 0.70 else 2 if fate < 0.92 else 3
            path += [teams[self.team_for_tier(tier, category)] for tier in range(2, final + 1)]
        elif entry.level == 2 and rng.random() < 0.3:
            path.append(teams[self.team_for_tier(3, category)])
        return path

    def describe(self, index: int) -> dict[str, Any]:
        """Type, category, title, impact and urgency, honouring outage bursts."""
        rng = self.rng
        burst = self.arrivals.burst_of(index)
        if burst is not None and rng.random() < 0.7:
            return {
                "type": "incident",
                "category": burst.category,
                "title": burst.title,
                "impact": rng.choice(("high", "medium")),
                "urgency": "high",
            }
        ticket_type = _weighted(rng, TYPES)
        if ticket_type == "security_incident":
            category = "security"
        elif ticket_type == "service_request":
            category = _weighted(rng, REQUEST_CATEGORIES)
        else:
            category = _weighted(rng, INCIDENT_CATEGORIES)
        return {
            "type": ticket_type,
            "category": category,
            "title": vocab.title(rng, category),
            "impact": _level(rng, IMPACT[ticket_type]),
            "urgency": _level(rng, URGENCY[ticket_type]),
        }

    def recipients(self, team: TeamInfo, assignee: int | None) -> dict[str, list[str]]:
        org = self.org
        lead_manager = org.managers.get(team.lead_id) if team.lead_id else None
        found: dict[str, list[str]] = {
            "assignee": [org.usernames[assignee]] if assignee else [],
            "team_lead": [org.usernames[team.lead_id]] if team.lead_id else [],
            "lead_manager": [org.usernames[lead_manager]] if lead_manager else [],
        }
        for role, people in org.role_people.items():
            found[role] = people
        return found

    def clock(
        self,
        life: Life,
        base: dict[str, Any],
        priority: str,
        horizon: int,
        running: bool,
        stay: tuple[TeamInfo, int],
    ) -> Any:
        team, start = stay
        return outcome(
            self.clocks,
            base,
            priority,
            ClockInput(
                created=life.created,
                horizon=horizon,
                running=running,
                responded=life.responded,
                stay_start=start,
                team=(team.id, team.slug, team.level),
                recipients=self.recipients(team, life.assignee),
            ),
        )


class IdBlocks:
    """Explicit ids for rows that events refer to (comments, hops), disjoint per batch."""

    COMMENTS_PER_TICKET = 12
    HOPS_PER_TICKET = 3

    def __init__(self, comment_base: int, hop_base: int, batch_size: int) -> None:
        self.comment_base, self.hop_base, self.batch_size = comment_base, hop_base, batch_size
        self.next_comment = self.next_hop = 0
        self.comment_limit = self.hop_limit = 0

    def start_batch(self, batch: int) -> None:
        comments = self.batch_size * self.COMMENTS_PER_TICKET
        hops = self.batch_size * self.HOPS_PER_TICKET
        self.next_comment = self.comment_base + batch * comments
        self.next_hop = self.hop_base + batch * hops
        self.comment_limit = self.next_comment + comments
        self.hop_limit = self.next_hop + hops

    def comment(self) -> int:
        self.next_comment += 1
        if self.next_comment >= self.comment_limit:
            raise RuntimeError("comment id block exhausted: raise COMMENTS_PER_TICKET")
        return self.next_comment

    def hop(self) -> int:
        self.next_hop += 1
        if self.next_hop >= self.hop_limit:
            raise RuntimeError("hop id block exhausted: raise HOPS_PER_TICKET")
        return self.next_hop


__all__ = ["SYSTEM", "IdBlocks", "Life", "Rows", "Synth", "open_probability"]
