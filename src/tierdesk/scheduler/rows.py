"""Writing some columns of many rows in one statement.

Django's ``bulk_update`` builds a ``CASE WHEN pk = … THEN …`` expression per row and column:
for a batch of a few hundred tickets that costs more Python time than firing the timers, and
the database compares every row with every ``WHEN``. One ``UPDATE … FROM`` a ``VALUES`` list
does the same write with a join (PostgreSQL, and SQLite since 3.33).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Field, Model

ROWS_PER_STATEMENT = 500


def update_many(objs: Sequence[Model], fields: Sequence[str]) -> None:
    """Save ``fields`` of ``objs`` (one model, all already in the database)."""
    if not objs or not fields:
        return
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns: list[Field] = [meta.pk, *(meta.get_field(name) for name in fields)]  # type: ignore[list-item]

    def slot(field: Field) -> str:
        # PostgreSQL types a VALUES list from its literals; the casts make it the columns' types.
        if connection.vendor == "postgresql":
            return f"CAST(%s AS {field.db_type(connection)})"
        return "%s"

    row = f"({', '.join(slot(field) for field in columns)})"
    names = ", ".join(quote(field.column) for field in columns)
    table, key = quote(meta.db_table), quote(meta.pk.column)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    with connection.cursor() as cursor:
        for start in range(0, len(objs), ROWS_PER_STATEMENT):
            chunk = objs[start : start + ROWS_PER_STATEMENT]
            params = [
                field.get_db_prep_save(getattr(obj, field.attname), connection)
                for obj in chunk
                for field in columns
            ]
            cursor.execute(
                f"WITH v ({names}) AS (VALUES {', '.join([row] * len(chunk))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{key} = v.{key}",
                params,
            )
