"""The CLI contract scripts and operators rely on: output, exit codes, one-line errors."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tierdesk.accounts.models import User
from tierdesk.accounts.tokens import authenticate
from tierdesk.cli.main import app
from tierdesk.org.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(app, list(args), input=stdin, catch_exceptions=False)

    return invoke


def test_user_create_makes_the_person_and_their_team_memberships(org, run):
    result = run(
        "user",
        "create",
        "newbie",
        "--email",
        "newbie@example.com",
        "--role",
        "agent",
        "--team",
        "service-desk",
        "--team",
        "l2-apps",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="newbie")
    assert user.role == "agent"
    assert user.check_password("a long enough password")
    assert set(Membership.objects.filter(user=user).values_list("team__slug", flat=True)) == {
        "service-desk",
        "l2-apps",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "agent", "--team", "no-such-team"), "no team 'no-such-team'"),
        (("--role", "wizard"), "role: 'wizard' is not one of"),
    ],
)
def test_user_create_refuses_unknown_teams_and_roles_in_one_line(org, run, args, message):
    from tierdesk.core.errors import DomainError

    with pytest.raises(DomainError, match=message):
        run("user", "create", "x", "--email", "x@example.com", *args)
    assert not User.objects.filter(username="x").exists()


def test_token_create_prints_only_the_token(org, run):
    result = run("token", "create", "tom")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert authenticate(lines[0]) == org.l1_agent


def test_token_revoke_ends_the_token(org, run):
    token = run("token", "create", "tom").stdout.strip()
    prefix = token.split("_")[1]
    assert run("token", "revoke", prefix).exit_code == 0
    assert authenticate(token) is None
    assert "revoked" in run("token", "list", "tom").stdout


def test_ticket_commands_act_through_the_same_policy(org, run):
    created = run("ticket", "create", "Phone dead", "--requester", "rita", "--as", "tom")
    assert created.exit_code == 0, created.output
    key = created.stdout.split()[0]
    escalated = run(
        "ticket", "escalate", key, "--as", "tom", "--to-tier", "2", "--note", "line test failed"
    )
    assert escalated.exit_code == 0, escalated.output
    assert "l2-apps" in escalated.stdout
    from tierdesk.core.errors import NotFound

    with pytest.raises(NotFound):
        run("ticket", "show", key, "--as", "otto")


def test_audit_verify_exits_non_zero_naming_the_broken_event(org, run):
    from tierdesk.audit.models import Event

    run("ticket", "create", "Phone dead", "--requester", "rita")
    assert run("audit", "verify").exit_code == 0
    Event.objects.update(kind="tampered")
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "event" in result.stderr
    assert run("audit", "verify", "--workers", "2").stderr == result.stderr


def test_audit_verify_walks_with_one_process_per_usable_cpu_unless_told(org, run, monkeypatch):
    from tierdesk.audit import verify

    asked: list[int] = []
    real = verify.verify

    def counting(progress=None, *, workers=1):
        asked.append(workers)
        return real(progress, workers=workers)

    monkeypatch.setattr(verify, "verify", counting)
    monkeypatch.setattr(verify, "usable_cpus", lambda: 3)
    assert run("audit", "verify").exit_code == 0
    assert run("audit", "verify", "--workers", "1").exit_code == 0
    assert asked == [3, 1]


def test_bench_profile_refuses_a_database_signed_with_another_audit_key(org, run, settings):
    run("ticket", "create", "Phone dead", "--requester", "rita")
    settings.AUDIT_KEY = "another installation's key"
    result = run("bench", "profile")
    assert result.exit_code == 1
    assert "written with another audit key" in result.stderr
