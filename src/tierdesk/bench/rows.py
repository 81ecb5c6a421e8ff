"""One generated ticket as table rows: its story, as the commands would have written it.

Row tuples follow :mod:`tierdesk.bench.columns`; the audit chain is hashed by
:class:`tierdesk.bench.chainrows.Chainer`.
"""

from __future__ import annotations

import json
from typing import Any

from tierdesk.bench import vocab
from tierdesk.bench.synth import (
    API,
    CHANNELS,
    DAY,
    FIRST_RESPONSE,
    LONG_EVERY,
    SERVICE_OF,
    SPEED,
    STAY,
    SYSTEM,
    Life,
    Rows,
    Synth,
    _weighted,
    open_probability,
)
from tierdesk.routing.rules import Draft
from tierdesk.tickets.models.enums import OPEN_STATUSES

RESOLUTION_NOTES = (
    "Root cause fixed.",
    "Workaround applied and confirmed by the user.",
    "Configuration corrected.",
    "Replaced the faulty part.",
    "Access granted as requested.",
)
AUTO_CLOSE_NOTE = "closed automatically after the resolution was not disputed"


def add_ticket(s: Synth, rows: Rows, index: int, ticket_id: int) -> Life:
    rng, org, now, fmt = s.rng, s.org, s.now, s.fmt
    created = min(s.arrivals.time_of(index) + rng.randrange(60), now - 600)
    requester, organisation = org.requesters[int(len(org.requesters) * rng.random() ** 2)]
    facts = s.describe(index)
    title, ticket_type, category = facts["title"], facts["type"], facts["category"]
    channel = "monitoring" if category == "monitoring" else _weighted(rng, CHANNELS)
    life = Life(ticket_id, created, requester, channel)
    priority = org.matrix[facts["impact"]][facts["urgency"]]
    service = org.services.get(SERVICE_OF.get(category, ""))
    description = vocab.description(rng, title)
    team_id, rule, category, routed = s.route(
        life,
        Draft(
            type=ticket_type,
            category=category,
            service=service[1] if service else None,
            channel=channel,
            priority=priority,
            organisation=org.organisation_slugs.get(organisation) if organisation else None,
            text=f"{title}\n{description}",
        ),
    )
    overridden = routed != priority
    priority = routed
    path = s.path(org.teams[team_id], category)
    stays: list[list[Any]] = []
    offset = 0
    for team in path:
        span = 300 + int(
            STAY.get(team.level or 2, STAY[2]) * SPEED[priority] * rng.lognormvariate(0, 0.8)
        )
        stays.append([team, offset, offset + span])
        offset += span
    age = now - created
    horizon = age - 60
    natural_open = offset >= horizon
    is_open = natural_open or rng.random() < open_probability(age)
    if is_open:
        reached = [k for k, stay in enumerate(stays) if stay[1] < horizon]
        stage = max(reached) if natural_open else rng.randrange(len(stays))
        stays = stays[: stage + 1]
        if stays[-1][1] >= horizon * 0.9:
            scale = horizon * 0.8 / max(1, stays[-1][1])
            for stay in stays:
                stay[1], stay[2] = int(stay[1] * scale), int(stay[2] * scale)
        stays[-1][2] = horizon
    first_response = int(FIRST_RESPONSE[priority] * rng.lognormvariate(0, 0.7))
    first_response = min(first_response, stays[0][1] + int(0.6 * (stays[0][2] - stays[0][1])))

    entry = stays[0][0]
    life.add(
        created,
        requester,
        "created",
        after={
            "title": title,
            "type": ticket_type,
            "priority": priority,
            "impact": facts["impact"],
            "urgency": facts["urgency"],
            "team": entry.slug,
            "tier": entry.level,
            "channel": channel,
            "requester": org.usernames[requester],
        },
        channel=channel,
    )
    if rule is not None:
        life.add(created, requester, "routed", after=entry.slug, channel=channel, rule=rule.name)
        rows.watchers.extend((ticket_id, watcher) for watcher in rule.watcher_ids)
    major = priority == "P1" and ticket_type in ("incident", "security_incident")
    if major:
        life.add(created, requester, "major_incident", after=True, channel=channel)
    assignee = rule.assignee_id if rule is not None and rule.assignee_id else _pick(s, entry)
    if assignee is not None:
        life.assignee, life.status = assignee, "assigned"
        life.add(
            created,
            requester,
            "assigned",
            "assignee",
            None,
            org.usernames[assignee],
            channel=channel,
            automatic=not (rule is not None and rule.assignee_id),
        )

    for k, (team, start, end) in enumerate(stays):
        begin, finish = created + start, created + end
        span = max(60, finish - begin)
        lead = team.lead_id or (team.members[0] if team.members else None)
        if life.assignee is None and lead is not None and rng.random() < 0.7:
            chosen = rng.choice(team.members) if team.members else lead
            at = begin + span // 10
            life.add(at, lead, "assigned", "assignee", None, org.usernames[chosen])
            life.assignee = chosen
            if life.status == "new":
                life.move(at, lead, "assigned")
        worker = life.assignee or lead
        if life.assignee is not None and life.status == "assigned":
            life.move(begin + span * 15 // 100, life.assignee, "in_progress")
        if life.responded is None and worker is not None and first_response <= end:
            at = created + max(first_response, start + 1)
            _comment(s, rows, life, at, worker, rng.choice(vocab.AGENT_REPLIES), internal=False)
        if worker is not None and rng.random() < 0.25:
            _comment(
                s,
                rows,
                life,
                begin + span * 3 // 10,
                worker,
                rng.choice(vocab.INTERNAL_NOTES),
                internal=True,
            )
        last = k == len(stays) - 1
        if worker is not None and not last and life.status == "in_progress" and rng.random() < 0.12:
            life.move(begin + span * 4 // 10, worker, "waiting_on_customer")
            at = begin + span * 6 // 10
            _comment(
                s, rows, life, at, requester, rng.choice(vocab.REQUESTER_REPLIES), internal=False
            )
            life.move(at, requester, "in_progress", "the requester replied", channel)
        if last:
            continue
        _escalate(s, rows, life, team, stays[k + 1][0], begin, finish, worker)

    last_team, last_start = stays[-1][0], created + stays[-1][1]
    worker = life.assignee or last_team.lead_id
    resolved_at = closed_at = None
    if is_open:
        old = age > 14 * DAY
        choice = rng.random()
        at = last_start + (now - 60 - last_start) // 2
        if (old and choice < 0.7) or (not old and choice < 0.25):
            life.move(
                at, worker, "waiting_on_third_party" if choice < 0.35 else "waiting_on_customer"
            )
        paused = life.status == "waiting_on_customer"
        horizon_ts, running = (at, False) if paused else (now, True)
        rows.open_tickets += 1
    else:
        horizon_ts, running = created + stays[-1][2], False
        note = rng.choice(RESOLUTION_NOTES)
        if rng.random() < 0.03:
            life.move(horizon_ts, worker, "cancelled", "Duplicate of an earlier request.")
            closed_at = horizon_ts
        else:
            life.move(horizon_ts, worker, "resolved", note)
            resolved_at = horizon_ts
            if life.responded is None:
                life.responded = horizon_ts
            close_at = horizon_ts + org.auto_close_days * DAY
            if close_at < now - 60:
                if rng.random() < 0.25:
                    closed_at = horizon_ts + rng.randrange(3600, 2 * DAY)
                    life.move(closed_at, requester, "closed", "", "portal")
                else:
                    closed_at = close_at
                    life.move(closed_at, None, "closed", AUTO_CLOSE_NOTE, SYSTEM)
            else:
                rows.timers.append((ticket_id, "auto_close", fmt(close_at), 0))
    if index % LONG_EVERY == LONG_EVERY // 2:
        _long_timeline(s, rows, life, created, horizon_ts, worker or last_team.lead_id)

    base = s.clocks.base(priority, ticket_type, organisation, service[2] if service else None)
    clocks = s.clock(life, base, priority, horizon_ts, running, (last_team, last_start))
    for kind, due, step in clocks.timers:
        rows.timers.append((ticket_id, kind, fmt(due), step))
    events = sorted(life.events + clocks.events, key=lambda event: event[0])
    ended = closed_at is not None
    rows.stints.append(
        (
            ticket_id,
            last_team.id,
            last_team.level,
            fmt(last_start),
            fmt(closed_at) if ended else None,
            closed_at - last_start if closed_at is not None else None,
        )
    )
    paused_at = None if running else horizon_ts
    rows.tickets.append(
        (
            ticket_id,
            title,
            description,
            ticket_type,
            life.status,
            facts["impact"],
            facts["urgency"],
            priority,
            overridden,
            category,
            service[0] if service else None,
            channel,
            requester,
            organisation,
            last_team.id,
            last_team.level,
            life.assignee,
            rule.id if rule is not None else None,
            major,
            len(events),
            fmt(created),
            fmt(events[-1][0]),
            fmt(last_start),
            fmt(life.responded),
            fmt(resolved_at),
            fmt(closed_at),
            json.dumps(clocks.snapshot),
            fmt(clocks.first_response_due) if life.responded or running else None,
            fmt(clocks.resolution_due) if running or life.status == "cancelled" else None,
            fmt(clocks.ola_due) if running else None,
            fmt(paused_at) if life.status != "cancelled" else None,
            clocks.first_response_breached,
            clocks.resolution_breached,
            clocks.ola_breached,
        )
    )
    # The ticket's copies the database triggers would otherwise look up for each row.
    security = ticket_type == "security_incident"
    copies = (last_team.id, last_team.level, security, life.status in OPEN_STATUSES)
    rows.participations.extend((ticket_id, actor, *copies) for actor in sorted(life.actors))
    s.chainer.chain(ticket_id, events, rows)
    return life


def _pick(s: Synth, team: Any) -> int | None:
    if team.strategy == "manual" or not team.members:
        return None
    choice: int = s.rng.choice(team.members)
    return choice


def _comment(
    s: Synth, rows: Rows, life: Life, at: int, author: int, body: str, internal: bool
) -> None:
    comment_id = s.ids.comment()
    is_requester = author == life.requester
    channel = life.channel if is_requester else API
    rows.comments.append((comment_id, life.id, author, body, internal, channel, s.fmt(at)))
    life.add(
        at,
        author,
        "comment_added",
        after=comment_id,
        channel=channel,
        internal=internal,
        comment_id=comment_id,
    )
    if not internal and not is_requester and life.responded is None:
        life.responded = at
        life.add(at, author, "first_response", channel=channel, comment_id=comment_id)


def _escalate(
    s: Synth,
    rows: Rows,
    life: Life,
    source: Any,
    target: Any,
    begin: int,
    at: int,
    actor: int | None,
) -> None:
    org = s.org
    hop = s.ids.hop()
    seconds = max(0, at - begin)
    up = (target.level or 0) > (source.level or 0) and source.level and target.level
    direction = "up" if up else "across"
    note = s.rng.choice(vocab.ESCALATION_NOTES)
    rows.hops.append(
        (
            hop,
            life.id,
            source.id,
            target.id,
            source.level,
            target.level,
            direction,
            actor,
            False,
            note,
            seconds,
            s.fmt(at),
        )
    )
    rows.stints.append((life.id, source.id, source.level, s.fmt(begin), s.fmt(at), seconds))
    life.add(
        at,
        actor,
        "escalated",
        "team",
        source.slug,
        target.slug,
        note,
        direction=direction,
        from_tier=source.level,
        to_tier=target.level,
        seconds_at_previous=seconds,
        automatic=False,
        hop_id=hop,
    )
    before = org.usernames.get(life.assignee) if life.assignee else None
    life.assignee = _pick(s, target)
    after = org.usernames.get(life.assignee) if life.assignee else None
    if before != after:
        life.add(at, actor, "field_changed", "assignee", before, after)
    if life.status in ("new", "assigned", "in_progress"):
        status = "assigned" if life.assignee else "new"
        if status != life.status:
            life.add(at, actor, "field_changed", "status", life.status, status)
            life.status = status


def _long_timeline(
    s: Synth, rows: Rows, life: Life, start: int, end: int, agent: int | None
) -> None:
    """Pad a ticket to a 100-entry timeline with a realistic back-and-forth."""
    if agent is None:
        return
    needed = 100 - len(life.events)
    step = max(1, (end - start - 120) // max(1, needed))
    at = start + 60
    turn = 0
    while len(life.events) < 100:
        author = agent if turn % 2 == 0 else life.requester
        pool = vocab.AGENT_REPLIES if author == agent else vocab.REQUESTER_REPLIES
        _comment(s, rows, life, min(at, end - 1), author, s.rng.choice(pool), internal=False)
        at += step
        turn += 1
