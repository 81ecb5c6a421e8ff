"""Cross-reference checks: every slug and username in the file must name something.

A reference resolves within the file for a kind the file lists (the file is the truth for
it, so a row missing from the file is about to go) and in the database otherwise. People are
the exception: someone the org file did not create (a requester who wrote in) stays, so a
reference to them resolves even when the file lists people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tierdesk.accounts.models import User
from tierdesk.org.models import BusinessCalendar, RequesterOrganisation, Service, Team
from tierdesk.org.orgfile.loader import Issue, child
from tierdesk.org.orgfile.schema import Collector, Item, Spec

_DB_SLUGS: dict[str, Callable[[], Iterable[str]]] = {
    "calendars": lambda: BusinessCalendar.objects.values_list("slug", flat=True),
    "requester_organisations": lambda: RequesterOrganisation.objects.values_list("slug", flat=True),
    "services": lambda: Service.objects.values_list("slug", flat=True),
    "teams": lambda: Team.objects.values_list("slug", flat=True),  # only if 'teams' is missing
}
_NOUN = {
    "calendars": "calendar",
    "requester_organisations": "organisation",
    "services": "service",
    "teams": "team",
}


class _Refs:
    def __init__(self, spec: Spec, out: Collector) -> None:
        self.spec, self.out = spec, out
        self.slugs: dict[str, set[str]] = {}
        for section in ("calendars", "requester_organisations", "services", "teams"):
            if section in spec.listed:
                self.slugs[section] = {i.values["slug"] for i in spec.items(section)}
            else:
                self.slugs[section] = set(_DB_SLUGS[section]())
            self.slugs[section] |= spec.broken.get(section, set())
        self.people = dict.fromkeys(spec.broken.get("people", set()), "")
        self.people.update({i.values["username"]: i.values["role"] for i in spec.items("people")})
        self.db_people = self._db_people()

    def _db_people(self) -> dict[str, str]:
        names: set[str] = set()
        for item in self.spec.items("teams"):
            names.add(item.values["lead"])
        for item in self.spec.items("people"):
            names.add(item.values["manager"])
        for item in self.spec.items("routing_rules"):
            names.update([item.values["assignee"], *item.values["watchers"]])
        names -= {None, *self.people}
        query = User.objects.filter(username__in=names, is_active=True)
        if "people" in self.spec.listed:
            query = query.filter(managed_by_org_file=False)
        return dict(query.values_list("username", "role"))

    def slug(self, section: str, item: Item, name: str, value: Any = None, sub: str = "") -> None:
        path = child(item.path, name) + sub
        value = item.values[name] if value is None else value
        if value is not None and value not in self.slugs[section]:
            where = "in the file" if section in self.spec.listed else "in the file or database"
            self.out.add(path, f"no {_NOUN[section]} {value!r} {where}")

    def person(
        self, item: Item, name: str, *, staff: bool = False, sub: str = "", value: str | None = None
    ) -> None:
        path = child(item.path, name) + sub
        value = item.values[name] if value is None else value
        if value is None:
            return
        role = self.people[value] if value in self.people else self.db_people.get(value)
        if role is None:
            gone = (
                " (people the org file created must be listed)"
                if ("people" in self.spec.listed)
                else ""
            )
            self.out.add(path, f"no active person {value!r}{gone}")
        elif staff and role == "requester":
            self.out.add(path, f"{value!r} is a requester, not support staff")


def check(spec: Spec) -> list[Issue]:
    """Check references, cycles and tier defaults; fills in each tier's default team."""
    out = Collector(spec.doc)
    refs = _Refs(spec, out)
    _teams(spec, refs, out)
    _people(spec, refs, out)
    for item in spec.items("services"):
        refs.slug("teams", item, "owner")
        refs.slug("calendars", item, "calendar")
    for item in spec.items("sla_policies"):
        refs.slug("requester_organisations", item, "organisation")
        refs.slug("calendars", item, "calendar")
    for item in spec.items("ola_policies"):
        refs.slug("teams", item, "team")
    for item in spec.items("mail_addresses"):
        refs.slug("teams", item, "team")
    for item in spec.items("routing_rules"):
        refs.slug("teams", item, "team")
        refs.person(item, "assignee", staff=True)
        for i, watcher in enumerate(item.values["watchers"]):
            refs.person(item, "watchers", sub=f"[{i}]", value=watcher)
        when = item.values["when"]
        for key, section in (("service", "services"), ("organisation", "requester_organisations")):
            for value in when.get(key, []):
                if value not in refs.slugs[section]:
                    out.add(child(item.path, f"when.{key}"), f"no {_NOUN[section]} {value!r}")
    return out.issues


def _teams(spec: Spec, refs: _Refs, out: Collector) -> None:
    teams = spec.items("teams")
    parents: dict[str, str | None] = {}
    for item in teams:
        refs.slug("teams", item, "parent")
        if item.values["parent"] == item.values["slug"]:
            out.add(child(item.path, "parent"), "a team cannot be its own parent")
        refs.person(item, "lead", staff=True)
        parents[item.values["slug"]] = item.values["parent"]
    _cycles(teams, "slug", parents, "parent", "teams report in a circle", out)
    has_desk = any(i.values["kind"] == "service_desk" for i in teams)
    # Only for a readable list without broken entries: a broken entry may be the desk.
    readable = isinstance(spec.doc.data, dict) and isinstance(spec.doc.data.get("teams"), list)
    if readable and not has_desk and not spec.broken.get("teams"):
        out.add("teams", "needs at least one service_desk team (new tickets land there)")
    for level in (1, 2, 3):
        in_tier = [i for i in teams if i.values["level"] == level]
        marked = [i for i in in_tier if i.values["default_for_tier"]]
        for extra in marked[1:]:
            first = marked[0].values["slug"]
            out.add(
                child(extra.path, "default_for_tier"),
                f"tier {level} already has default team {first!r}",
            )
        if in_tier and not marked:
            in_tier[0].values["default_for_tier"] = True


def _people(spec: Spec, refs: _Refs, out: Collector) -> None:
    people = spec.items("people")
    managers: dict[str, str | None] = dict(
        User.objects.filter(manager__isnull=False).values_list("username", "manager__username")
    )
    for item in people:
        values = item.values
        for i, team in enumerate(values["teams"]):
            refs.slug("teams", item, "teams", value=team, sub=f"[{i}]")
            if values["role"] == "requester":
                out.add(f"{item.path}.teams[{i}]", "a requester cannot be a team member")
        refs.person(item, "manager")
        if values["manager"] == values["username"]:
            out.add(child(item.path, "manager"), "a person cannot manage themselves")
        refs.slug("requester_organisations", item, "organisation")
        managers[values["username"]] = values["manager"]
    _cycles(people, "username", managers, "manager", "reporting lines run in a circle", out)
    listed = {i.values["username"] for i in people}
    emails = {i.values["email"]: i for i in people}
    clashes = User.objects.filter(email__in=list(emails)).exclude(username__in=listed)
    for username, address in clashes.values_list("username", "email"):
        item = emails[address]
        out.add(
            child(item.path, "email"),
            f"already the address of {username!r}; list that person under that username",
        )


def _cycles(
    items: list[Item], key: str, up: dict[str, str | None], field: str, what: str, out: Collector
) -> None:
    """Report each loop once, at the first entry of the file that lies on it."""
    reported: set[str] = set()
    for item in items:
        start = item.values[key]
        chain, node = [start], up.get(start)
        while node is not None and node not in chain and len(chain) <= len(up):
            chain.append(node)
            node = up.get(node)
        if node == start and start not in reported and len(chain) > 1:
            reported.update(chain)
            out.add(child(item.path, field), f"{what}: {' → '.join([*chain, start])}")
