"""On PostgreSQL, a stored message's raw bytes and bodies are compressed with lz4."""

from django.db import migrations

from tierdesk.core.migrationops import lz4


class Migration(migrations.Migration):
    dependencies = [
        ("intake_email", "0001_initial"),
    ]

    operations = [lz4("intake_email_inboundmessage", "raw", "text", "html")]
