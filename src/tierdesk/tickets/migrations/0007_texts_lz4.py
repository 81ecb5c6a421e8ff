"""On PostgreSQL, long ticket descriptions and comments are compressed with lz4."""

from django.db import migrations

from tierdesk.core.migrationops import lz4


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_ticket_fk_indexes_covered"),
    ]

    operations = [
        lz4("tickets_ticket", "description"),
        lz4("tickets_comment", "body"),
    ]
