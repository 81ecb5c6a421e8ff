"""Migration operations for one database engine only (SQLite has no such knob)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


class RunSQLOnPostgres(migrations.RunSQL):
    """RunSQL that runs only on PostgreSQL and is a no-op elsewhere."""

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, *args)


def fillfactor(table: str, percent: int) -> RunSQLOnPostgres:
    """Leave ``100 - percent`` % of each new heap page free, so that an update of a row
    finds room on its own page: PostgreSQL then writes no index entries for it (a HOT
    update) when no indexed column changed. Pages written before keep their fill until the
    table is rewritten (``VACUUM FULL``, ``pg_repack``)."""
    return RunSQLOnPostgres(
        f"ALTER TABLE {table} SET (fillfactor = {percent})",
        f"ALTER TABLE {table} RESET (fillfactor)",
    )
