"""Indexes over open work (queues in due order, open load per assignee, sidebar counts), and
on PostgreSQL a stored search document in place of the expression index of 0002.

See ``tierdesk.tickets.models.ticket`` and ``tierdesk.tickets.search`` for why each exists.
"""

from django.conf import settings
from django.db import migrations, models

from tierdesk.core.migrationops import RunSQLOnPostgres

POSTGRES_FORWARD = [
    "ALTER TABLE tickets_ticket ADD COLUMN IF NOT EXISTS search_document tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, title || ' ' || description)) STORED",
    "CREATE INDEX IF NOT EXISTS tickets_ticket_search_document ON tickets_ticket "
    "USING gin (search_document)",
    "DROP INDEX IF EXISTS tickets_ticket_search",
]
POSTGRES_BACKWARD = [
    "CREATE INDEX IF NOT EXISTS tickets_ticket_search ON tickets_ticket "
    "USING gin (to_tsvector('simple'::regconfig, title || ' ' || description))",
    "DROP INDEX IF EXISTS tickets_ticket_search_document",
    "ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_document",
]


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0001_initial'),
        ('routing', '0001_initial'),
        ('tickets', '0003_channel_web'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='ticket',
            name='open_by_team_due',
        ),
        migrations.RemoveIndex(
            model_name='ticket',
            name='open_by_assignee_due',
        ),
        migrations.RemoveIndex(
            model_name='ticket',
            name='open_by_tier_due',
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'assigned', 'in_progress', 'waiting_on_customer', 'waiting_on_third_party'))), fields=['team', 'resolution_due_at', 'id'], name='open_by_team_due_id'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'assigned', 'in_progress', 'waiting_on_customer', 'waiting_on_third_party'))), fields=['tier', 'resolution_due_at', 'id'], name='open_by_tier_due_id'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'assigned', 'in_progress', 'waiting_on_customer', 'waiting_on_third_party'))), fields=['assignee', 'priority', 'status'], name='open_by_assignee_priority'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ('new', 'assigned', 'in_progress', 'waiting_on_customer', 'waiting_on_third_party'))), fields=['team', 'tier', 'type', 'assignee', 'requester', 'status', 'id'], name='open_counts_by_team_tier'),
        ),
        RunSQLOnPostgres(POSTGRES_FORWARD, POSTGRES_BACKWARD),
    ]
