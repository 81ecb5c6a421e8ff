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


def lz4(table: str, *columns: str) -> migrations.RunPython:
    """Compress the columns' new large values with lz4 instead of pglz, where the server
    was built with it (PostgreSQL 14 and later; Debian's is). Each stored mail message went
    through pglz: at about 240 µs a row, most of its INSERT, because attachments do not
    compress and pglz tries anyway; lz4 took about 40 µs. Existing values stay as they
    are (both kinds are read alike), so the change takes no rewrite."""

    def set_compression(method: str) -> Any:
        def run(apps: Any, schema_editor: Any) -> None:
            connection = schema_editor.connection
            if connection.vendor != "postgresql" or not _has_lz4(connection):
                return
            for column in columns:
                schema_editor.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}"
                )

        return run

    return migrations.RunPython(set_compression("lz4"), set_compression("default"))


def _has_lz4(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def vacuumed_after(table: str, fraction: float) -> RunSQLOnPostgres:
    """Let autovacuum visit ``table`` once ``fraction`` of its rows were changed or added,
    instead of PostgreSQL's 20%.

    Counting reads (a queue's sidebar, the open work of a team's agents) are index-only
    scans, which stay index-only only on pages the visibility map marks all-visible. Each
    update or insert clears its page's mark until a vacuum sets it again. At a million
    tickets, after about 20,000 new and changed tickets the ticket page's count visited
    the heap for 78,661 of 125,204 entries and took 190 ms instead of 21 ms; the default
    would wait for 200,000 changes. A vacuum of the ticket table then took about 2 seconds.
    """
    return RunSQLOnPostgres(
        f"ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = {fraction},"
        f" autovacuum_vacuum_insert_scale_factor = {fraction})",
        f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor,"
        " autovacuum_vacuum_insert_scale_factor)",
    )
