"""Full-text search indexes for tickets (see tierdesk.tickets.search).

SQLite gets an FTS5 external-content table kept in step by triggers; PostgreSQL gets a GIN
expression index. Each statement runs only on its own backend.
"""

from django.db import migrations

FTS = "tickets_ticket_fts"

SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5("
    "title, description, content='tickets_ticket', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON tickets_ticket BEGIN "
    f"INSERT INTO {FTS}(rowid, title, description) "
    "VALUES (new.id, new.title, new.description); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON tickets_ticket BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE OF title, description "
    "ON tickets_ticket WHEN old.title IS NOT new.title "
    "OR old.description IS NOT new.description BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); "
    f"INSERT INTO {FTS}(rowid, title, description) "
    "VALUES (new.id, new.title, new.description); END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TABLE IF EXISTS {FTS}",
]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS tickets_ticket_search ON tickets_ticket "
    "USING gin (to_tsvector('simple'::regconfig, title || ' ' || description))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS tickets_ticket_search"]


class RunSQLOn(migrations.RunSQL):
    """RunSQL that runs only on one database vendor (and is a no-op elsewhere)."""

    def __init__(self, vendor, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [
        RunSQLOn("sqlite", SQLITE_FORWARD, SQLITE_BACKWARD),
        RunSQLOn("postgresql", POSTGRES_FORWARD, POSTGRES_BACKWARD),
    ]
