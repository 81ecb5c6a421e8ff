"""On PostgreSQL, a tenth of each new chain-head page stays free: every event appended to a
chain updates its head, and with room on the page that update writes no index entry."""

from django.db import migrations

from tierdesk.core.migrationops import fillfactor


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_chain_head_mac"),
    ]

    operations = [fillfactor("audit_chainhead", 90)]
