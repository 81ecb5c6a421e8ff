"""On PostgreSQL, rendered notification bodies are compressed with lz4."""

from django.db import migrations

from tierdesk.core.migrationops import lz4


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_alerts_rendered_at_delivery"),
    ]

    operations = [lz4("notifications_notification", "body", "body_html")]
