"""Drop the requester's and the team's own foreign-key indexes: by_requester and by_team
lead with the same columns, so every query and every PROTECT check keeps an index, and a
new ticket writes two index entries fewer.

The indexes are dropped by name: altering the fields through the schema editor would
rebuild the whole ticket table on SQLite.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COVERED = {
    "tickets_ticket_requester_id_2072a2f2": "requester_id",
    "tickets_ticket_team_id_5a4e7469": "team_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_team_cursor_not_indexed"),
        ("tickets", "0005_ticket_fillfactor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX {name} ON tickets_ticket ({column})",
                )
                for name, column in COVERED.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="requester",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="requested_tickets",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="team",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="org.team",
                    ),
                ),
            ],
        ),
    ]
