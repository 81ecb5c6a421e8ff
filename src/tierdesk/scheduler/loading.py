"""Reading the held tickets of a batch with the rows their handlers look at.

A batch holds a few hundred tickets that point at a handful of teams (with their leads and
the leads' managers), assignees and services. Read with ``select_related``, every ticket
came with its own copies of all of them: seven model instances a ticket, a seventh of a
batch's time. Here each team, person and service is read once per tick and the tickets that
point at it share the instance. Handlers and the commands they run only read these rows
(a command that moves a ticket points it at another instance, it never changes the shared
one), so sharing them shows every handler the same values the copies held.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from tierdesk.accounts.models import User
from tierdesk.org.models import Service, Team
from tierdesk.tickets.models import Ticket


@dataclass
class Related:
    """Teams, people and services read so far in this tick, by primary key."""

    teams: dict[int, Team] = field(default_factory=dict)
    people: dict[int, User] = field(default_factory=dict)
    services: dict[int, Service] = field(default_factory=dict)

    def held_tickets(self, ticket_ids: Collection[int]) -> dict[int, Ticket]:
        """The tickets (already locked by the caller) by primary key, each pointing at the
        shared team (lead and lead's manager loaded), assignee and service (calendar
        loaded)."""
        tickets = Ticket.objects.in_bulk(list(ticket_ids))
        self._read_missing(tickets.values())
        for ticket in tickets.values():
            ticket.team = self.teams[ticket.team_id]
            if ticket.assignee_id is not None:
                ticket.assignee = self.people[ticket.assignee_id]
            if ticket.service_id is not None:
                ticket.service = self.services[ticket.service_id]
        return tickets

    def _read_missing(self, tickets: Iterable[Ticket]) -> None:
        teams, people, services = set(), set(), set()
        for ticket in tickets:
            teams.add(ticket.team_id)
            if ticket.assignee_id is not None:
                people.add(ticket.assignee_id)
            if ticket.service_id is not None:
                services.add(ticket.service_id)
        if missing := teams - self.teams.keys():
            self.teams.update(Team.objects.select_related("lead__manager").in_bulk(missing))
        if missing := people - self.people.keys():
            self.people.update(User.objects.in_bulk(missing))
        if missing := services - self.services.keys():
            self.services.update(Service.objects.select_related("calendar").in_bulk(missing))
