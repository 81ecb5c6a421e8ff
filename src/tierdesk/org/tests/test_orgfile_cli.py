"""``tierdesk org apply|export|chart`` through the real command line, and the chart data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tierdesk.accounts.models import User
from tierdesk.audit.models import Event
from tierdesk.cli.main import app
from tierdesk.org.models import Team
from tierdesk.org.selectors_chart import chart_teams
from tierdesk.org.tests.orgfiles import EXAMPLE, MINIMAL, applied
from tierdesk.tickets.models import Ticket
from tierdesk.tickets.services import NewTicket, create_ticket

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def example_file(tmp_path: Path) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(EXAMPLE, encoding="utf-8")
    return path


def test_apply_prints_the_plan_then_a_summary_and_exits_0(example_file: Path) -> None:
    result = run("org", "apply", str(example_file))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "+ team l2-apps" in lines
    assert "+ person tom" in lines
    assert lines[-1].startswith("applied ")
    assert "removed)" in lines[-1]
    again = run("org", "apply", str(example_file))
    assert (again.exit_code, again.stdout) == (0, "no changes\n")


def test_a_dry_run_prints_the_plan_and_writes_nothing(example_file: Path) -> None:
    result = run("org", "apply", "--dry-run", str(example_file))
    assert result.exit_code == 0
    assert "+ calendar berlin-office" in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1].endswith("nothing was written")
    assert not Team.objects.exists()
    assert not Event.objects.exists()


def test_problems_are_one_line_each_with_file_and_line_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        MINIMAL.replace("kind: tier", "kind: teir").replace("manager: tom", "manager: tim"),
        encoding="utf-8",
    )
    result = run("org", "apply", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}:7: teams[1].kind: 'teir' is not one of service_desk, tier, infrastructure, "
        "monitoring, security, management",
        f"{path}:12: people[1].manager: no active person 'tim' (people the org file created "
        "must be listed)",
        f"tierdesk: 2 problems in {path}; nothing was changed",
    ]
    assert not Team.objects.exists()


def test_a_missing_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = run("org", "apply", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"tierdesk: {tmp_path / 'nope.yaml'}: cannot read")
    assert len(result.stderr.splitlines()) == 1


def test_export_writes_a_file_that_applies_without_changes(
    example_file: Path, tmp_path: Path
) -> None:
    run("org", "apply", str(example_file))
    out = tmp_path / "exported.yaml"
    assert run("org", "export", "--output", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8") == run("org", "export").stdout
    result = run("org", "apply", str(out))
    assert (result.exit_code, result.stdout) == (0, "no changes\n")


def test_chart_draws_every_team_with_its_queue_link_and_load(
    example_file: Path, tmp_path: Path
) -> None:
    run("org", "apply", str(example_file))
    rita = User.objects.get(username="rita")
    create_ticket(NewTicket(title="Cannot log in"), requester=rita)
    out = tmp_path / "org.svg"
    result = run("org", "chart", "--output", str(out))
    assert result.exit_code == 0, result.output
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    links = {a.get("href") for a in root.iter(f"{SVG}a")}
    assert links == {f"/queues/team/{slug}" for slug in Team.objects.values_list("slug", flat=True)}
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "Service desk" in texts
    assert "L3 databases" in texts


def test_chart_teams_counts_open_and_breaching_tickets_in_three_queries(
    django_assert_num_queries: Any,
) -> None:
    applied(EXAMPLE)
    rita = User.objects.get(username="rita")
    first = create_ticket(NewTicket(title="Mail is slow"), requester=rita)
    create_ticket(NewTicket(title="VPN drops"), requester=rita)
    closed = create_ticket(NewTicket(title="Old one"), requester=rita)
    Ticket.objects.filter(pk=first.pk).update(ola_breached=True)
    Ticket.objects.filter(pk=closed.pk).update(status="closed", resolution_breached=True)
    User.objects.filter(username="kenji").update(is_active=False)

    with django_assert_num_queries(3):
        teams = {team.slug: team for team in chart_teams()}

    desk = teams["service-desk"]
    assert (desk.open_tickets, desk.breaching) == (2, 1)
    assert (teams["security"].open_tickets, teams["security"].breaching) == (0, 0)
    assert desk.href == "/queues/team/service-desk"
    assert desk.parent_slug == "management"
    assert desk.lead_name == "Lena Hoffmann"
    assert desk.level == 1
    names = {m.name: m for m in desk.members}
    assert "Kenji Sato" not in names
    assert names["Lena Hoffmann"].is_lead
    assert names["Tom Becker"].role_title == "Technician"
