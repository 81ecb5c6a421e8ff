"""What HTTP scenarios need from a generated database: viewers with tokens, tickets, queries."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from tierdesk.accounts.models import Role, User
from tierdesk.accounts.tokens import create_token
from tierdesk.audit.models import ChainHead
from tierdesk.org.models import Membership, Team, TeamKind
from tierdesk.tickets.models import Ticket

WORD = re.compile(r"[A-Za-z][A-Za-z-]{2,}")
OPEN = ("new", "assigned", "in_progress")


@dataclass
class Fixtures:
    queue_team: str = ""
    queue_statuses: tuple[str, ...] = OPEN
    agent_token: str = ""
    agent_cookie: str = ""
    requester_tokens: list[str] = field(default_factory=list)
    long_tickets: list[tuple[str, str]] = field(default_factory=list)  # key, viewer token
    html_ticket: str = ""
    queries: list[str] = field(default_factory=list)


def _session_cookie(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"sessionid={session.session_key}"


def _member(team_id: int) -> User | None:
    membership = (
        Membership.objects.filter(team_id=team_id, user__role=Role.AGENT, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    return membership.user if membership else None


def queries_from_titles(titles: list[str], rng: random.Random, count: int) -> list[str]:
    """2–3 consecutive words of real titles, as an agent would type them."""
    found: list[str] = []
    for title in titles:
        words = WORD.findall(title)
        if len(words) < 2:
            continue
        size = min(len(words), rng.choice((2, 3)))
        start = rng.randrange(len(words) - size + 1)
        found.append(" ".join(words[start : start + size]).lower())
        if len(found) >= count:
            break
    return found


def build(seed: int = 1) -> Fixtures:
    rng = random.Random(seed)
    fixtures = Fixtures()
    desk = (
        Team.objects.filter(kind=TeamKind.SERVICE_DESK)
        .order_by("-is_default_for_tier", "pk")
        .first()
    )
    if desk is None:
        raise RuntimeError("no service desk: generate data first")
    fixtures.queue_team = desk.slug
    agent = _member(desk.pk)
    if agent is None:
        raise RuntimeError(f"{desk.slug} has no agents")
    fixtures.agent_token = create_token(agent, name="bench")
    fixtures.agent_cookie = _session_cookie(agent)
    requesters = list(User.objects.filter(role=Role.REQUESTER, is_active=True).order_by("pk")[:200])
    fixtures.requester_tokens = [
        create_token(person, name="bench") for person in rng.sample(requesters, 4)
    ]
    tokens: dict[int, str] = {}
    long_ids = list(
        ChainHead.objects.filter(seq__gte=100, chain__startswith="ticket:").values_list(
            "chain", flat=True
        )[:20]
    )
    for ticket in Ticket.objects.filter(pk__in=[int(c.split(":")[1]) for c in long_ids]):
        viewer = _member(ticket.team_id)
        if viewer is None:
            continue
        if viewer.pk not in tokens:
            tokens[viewer.pk] = create_token(viewer, name="bench")
        fixtures.long_tickets.append((ticket.key, tokens[viewer.pk]))
    newest = Ticket.objects.filter(team=desk).order_by("-pk").first()
    fixtures.html_ticket = newest.key if newest else ""
    top = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    sample_ids = [rng.randrange(1, top + 1) for _ in range(400)] if top else []
    titles = list(Ticket.objects.filter(pk__in=sample_ids).values_list("title", flat=True))
    rng.shuffle(titles)
    fixtures.queries = queries_from_titles(titles, rng, 100)
    return fixtures
