"""Open tickets per team, tier and security flag, and each participation's copy of its
ticket's team, tier, type and open state, both kept by triggers on the ticket table.

The queue sidebar counted every open ticket an agent may see on each page view: one pass
over 108,000 open tickets at a million, and a hash of the 21,000 tickets the agent had ever
worked on, 45-52 ms on PostgreSQL. Now whole teams are added up from change rows (+1, -1)
the triggers write whenever a ticket starts or stops being open, or an open ticket moves
to another team or tier or changes type; the agent's open tickets elsewhere come from the
participations' copies. See ``tierdesk.tickets.models`` and ``tierdesk.tickets.opencounts``.

The open statuses are written out here as in the partial indexes of 0004: a change to
``OPEN_STATUSES`` needs a migration that replaces these triggers and refills both. So does a
migration that makes SQLite rebuild either table, which drops its triggers
(``tickets.opencounts.trigger_problems`` and its test say so).

A participation copies its ticket under a share lock, so a change to the ticket still
uncommitted is waited for, not copied stale. Filling the copies rewrites every
participation: 36 s for 1.35 million at a million tickets on PostgreSQL, with the table
locked; migrate a large desk with its workers stopped.
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

OPEN = "('new', 'assigned', 'in_progress', 'waiting_on_customer', 'waiting_on_third_party')"
SECURITY = "'security_incident'"
COUNTS = "tickets_openticketcount (team_id, tier, security, delta)"
COPIED = "(ticket_team_id, ticket_tier, ticket_security, ticket_open)"
KEY_CHANGED = (
    "OLD.team_id IS DISTINCT FROM NEW.team_id OR OLD.tier IS DISTINCT FROM NEW.tier"
    " OR OLD.type IS DISTINCT FROM NEW.type"
)
OPENED_OR_CLOSED = f"(OLD.status IN {OPEN}) <> (NEW.status IN {OPEN})"
# A count changes when a ticket opens or closes, or an open ticket's key moves.
COUNT_CHANGES = f"{OPENED_OR_CLOSED} OR (NEW.status IN {OPEN} AND ({KEY_CHANGED}))"
# The participations' copies follow every change, open or not.
COPY_CHANGES = f"{OPENED_OR_CLOSED} OR {KEY_CHANGED}"
FILL_COUNTS = (
    f"INSERT INTO {COUNTS} SELECT team_id, tier, type = {SECURITY}, COUNT(*)"
    f" FROM tickets_ticket WHERE status IN {OPEN} GROUP BY team_id, tier, type = {SECURITY}"
)
FILL_COPIES = (
    f"UPDATE tickets_participation SET {COPIED} = (SELECT t.team_id, t.tier,"
    f" t.type = {SECURITY}, t.status IN {OPEN} FROM tickets_ticket t"
    " WHERE t.id = tickets_participation.ticket_id)"
)
SET_COPIES = (
    f"UPDATE tickets_participation SET ticket_team_id = NEW.team_id, ticket_tier = NEW.tier,"
    f" ticket_security = NEW.type = {SECURITY}, ticket_open = NEW.status IN {OPEN}"
    " WHERE ticket_id = NEW.id"
)

POSTGRES_FORWARD = [
    f"""
    CREATE FUNCTION tickets_count_open() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.status IN {OPEN} THEN
            INSERT INTO {COUNTS}
            VALUES (OLD.team_id, OLD.tier, OLD.type = {SECURITY}, -1);
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.status IN {OPEN} THEN
            INSERT INTO {COUNTS}
            VALUES (NEW.team_id, NEW.tier, NEW.type = {SECURITY}, 1);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER tickets_count_open_insert AFTER INSERT ON tickets_ticket
    FOR EACH ROW WHEN (NEW.status IN {OPEN}) EXECUTE FUNCTION tickets_count_open()
    """,
    f"""
    CREATE TRIGGER tickets_count_open_delete AFTER DELETE ON tickets_ticket
    FOR EACH ROW WHEN (OLD.status IN {OPEN}) EXECUTE FUNCTION tickets_count_open()
    """,
    f"""
    CREATE TRIGGER tickets_count_open_update AFTER UPDATE OF status, team_id, tier, type
    ON tickets_ticket FOR EACH ROW WHEN ({COUNT_CHANGES})
    EXECUTE FUNCTION tickets_count_open()
    """,
    f"""
    CREATE FUNCTION tickets_participation_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {SET_COPIES};
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER tickets_participation_follow AFTER UPDATE OF status, team_id, tier, type
    ON tickets_ticket FOR EACH ROW WHEN ({COPY_CHANGES})
    EXECUTE FUNCTION tickets_participation_follow()
    """,
    f"""
    CREATE FUNCTION tickets_participation_copy() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT t.team_id, t.tier, t.type = {SECURITY}, t.status IN {OPEN}
        INTO NEW.ticket_team_id, NEW.ticket_tier, NEW.ticket_security, NEW.ticket_open
        FROM tickets_ticket t WHERE t.id = NEW.ticket_id FOR SHARE;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER tickets_participation_copy BEFORE INSERT ON tickets_participation
    FOR EACH ROW WHEN (NEW.ticket_open IS NULL) EXECUTE FUNCTION tickets_participation_copy()
    """,
    FILL_COUNTS,
    FILL_COPIES,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_count_open_insert ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_count_open_delete ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_count_open_update ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_participation_follow ON tickets_ticket",
    "DROP TRIGGER IF EXISTS tickets_participation_copy ON tickets_participation",
    "DROP FUNCTION IF EXISTS tickets_count_open()",
    "DROP FUNCTION IF EXISTS tickets_participation_follow()",
    "DROP FUNCTION IF EXISTS tickets_participation_copy()",
]
# SQLite: no "IS DISTINCT FROM" before 3.39 ("IS NOT" says the same), and an AFTER INSERT
# trigger in place of a BEFORE one that may not change the new row.
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER tickets_count_open_insert AFTER INSERT ON tickets_ticket
    WHEN NEW.status IN {OPEN}
    BEGIN
        INSERT INTO {COUNTS} VALUES (NEW.team_id, NEW.tier, NEW.type = {SECURITY}, 1);
    END
    """,
    f"""
    CREATE TRIGGER tickets_count_open_delete AFTER DELETE ON tickets_ticket
    WHEN OLD.status IN {OPEN}
    BEGIN
        INSERT INTO {COUNTS} VALUES (OLD.team_id, OLD.tier, OLD.type = {SECURITY}, -1);
    END
    """,
    f"""
    CREATE TRIGGER tickets_count_open_update AFTER UPDATE OF status, team_id, tier, type
    ON tickets_ticket WHEN {COUNT_CHANGES.replace("IS DISTINCT FROM", "IS NOT")}
    BEGIN
        INSERT INTO {COUNTS}
        SELECT OLD.team_id, OLD.tier, OLD.type = {SECURITY}, -1 WHERE OLD.status IN {OPEN};
        INSERT INTO {COUNTS}
        SELECT NEW.team_id, NEW.tier, NEW.type = {SECURITY}, 1 WHERE NEW.status IN {OPEN};
    END
    """,
    f"""
    CREATE TRIGGER tickets_participation_follow AFTER UPDATE OF status, team_id, tier, type
    ON tickets_ticket WHEN {COPY_CHANGES.replace("IS DISTINCT FROM", "IS NOT")}
    BEGIN
        {SET_COPIES};
    END
    """,
    f"""
    CREATE TRIGGER tickets_participation_copy AFTER INSERT ON tickets_participation
    WHEN NEW.ticket_open IS NULL
    BEGIN
        UPDATE tickets_participation SET {COPIED} = (SELECT t.team_id, t.tier,
        t.type = {SECURITY}, t.status IN {OPEN} FROM tickets_ticket t WHERE t.id = NEW.ticket_id)
        WHERE id = NEW.id;
    END
    """,
    FILL_COUNTS,
    FILL_COPIES,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_count_open_insert",
    "DROP TRIGGER IF EXISTS tickets_count_open_delete",
    "DROP TRIGGER IF EXISTS tickets_count_open_update",
    "DROP TRIGGER IF EXISTS tickets_participation_follow",
    "DROP TRIGGER IF EXISTS tickets_participation_copy",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements[schema_editor.connection.vendor]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_ticket_vacuumed_often"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="OpenTicketCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("team_id", models.BigIntegerField(null=True)),
                ("tier", models.PositiveSmallIntegerField(null=True)),
                ("security", models.BooleanField()),
                ("delta", models.IntegerField()),
            ],
        ),
        migrations.AddField(
            model_name="participation",
            name="ticket_open",
            field=models.BooleanField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="participation",
            name="ticket_security",
            field=models.BooleanField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="participation",
            name="ticket_team_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="participation",
            name="ticket_tier",
            field=models.PositiveSmallIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
        migrations.AddIndex(
            model_name="participation",
            index=models.Index(
                condition=models.Q(("ticket_open", True)),
                fields=["user", "ticket_team_id", "ticket_tier", "ticket_security", "ticket"],
                name="open_participation",
            ),
        ),
    ]
