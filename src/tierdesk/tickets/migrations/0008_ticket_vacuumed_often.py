"""On PostgreSQL, autovacuum visits the ticket table after half a percent of its rows
changed, so that its counting reads stay index-only (see ``core.migrationops``)."""

from django.db import migrations

from tierdesk.core.migrationops import vacuumed_after


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_texts_lz4"),
    ]

    operations = [vacuumed_after("tickets_ticket", 0.005)]
