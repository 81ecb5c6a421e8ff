"""Writing rows on the hot paths with statements built once per shape.

``Model.save`` and ``bulk_create`` rebuild their INSERT on every call (field lists, quoting,
returning clauses, per-value compiler dispatch): on a ticket's creation, which writes seven
kinds of rows, that was more CPU than the statements' own work. The statements here are
cached per model, row count and conflict handling; values go through each field's own
``pre_save``/``get_db_prep_save``, or are taken as they are where those would return them
unchanged, or (an instant in UTC) turned into what they would return (see ``_values``), so
what is stored is what the ORM would store. No model signals are sent (none of the models
written here has receivers).

:func:`update_many` saves some columns of many rows in one statement. Django's
``bulk_update`` builds a ``CASE WHEN pk = … THEN …`` expression per row and column: for a
batch of a few hundred tickets that cost more Python time than firing their timers, and the
database compares every row with every ``WHEN``. One ``UPDATE … FROM`` a ``VALUES`` list does
the same write with a join (PostgreSQL, and SQLite since 3.33).

On PostgreSQL, :func:`insert_many` sends many rows by ``COPY``: per row it cost the client
about two thirds and the server about three fifths of a pipelined INSERT (the server runs no
statement per row). A batch of scheduler firings owes some four notifications and two
events a firing, and their inserts were the larger part of the server's work.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignKey, Model, OneToOneField, fields
from django.db.models.base import ModelState
from django.db.models.constants import OnConflict
from psycopg.errors import ExclusionViolation, UniqueViolation
from psycopg.types.json import Jsonb

M = TypeVar("M", bound=Model)

# psycopg finds the placeholders of a statement by parsing its text on every execute, and
# caches the result only for statements of at most 50 parameters (and 4 kB). A VALUES list of
# a few hundred rows was parsed anew each time: in a scheduler batch that parsing cost more
# than building the rows. Rows with more parameters than this go by COPY on PostgreSQL, or,
# inside a pipelined block (``core.pipeline``, where COPY cannot run), by executemany.
PARSED_ONCE_UP_TO = 50


def insert_many(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> None:
    """Insert new rows of one model; their primary keys are not read back.

    With ``ignore_conflicts`` a row that would break a unique constraint is skipped, as
    ``bulk_create(ignore_conflicts=True)`` does.
    """
    if not objs:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    fields = _columns(model)
    if connection.vendor == "postgresql" and len(objs) * len(fields) > PARSED_ONCE_UP_TO:
        if _in_pipeline(connection):
            _insert_pipelined(connection, model, objs, ignore_conflicts)
        elif ignore_conflicts:
            _copy_unless_conflicting(connection, model, objs)
        else:
            _copy(connection, model, objs)
        for obj in objs:
            obj._state.adding, obj._state.db = False, connection.alias
        return
    batch = connection.ops.bulk_batch_size(fields, objs) or len(objs)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            sql = _insert_sql(connection.alias, model, len(chunk), ignore_conflicts, False)
            cursor.execute(sql, _values(connection, model, chunk))
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def _in_pipeline(connection: BaseDatabaseWrapper) -> bool:
    """Whether statements are being pipelined (``core.pipeline``), where COPY cannot run and
    an error surfaces only at the block's end."""
    connection.ensure_connection()
    return bool(connection.connection.pgconn.pipeline_status)


def _insert_pipelined(
    connection: BaseDatabaseWrapper, model: type[Model], objs: Sequence[Model], ignore: bool
) -> None:
    """One single-row statement executed per row, pipelined by psycopg's executemany: its
    text is parsed once, prepared once, and all rows go in one round trip."""
    sql = _insert_sql(connection.alias, model, 1, ignore, False)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [_values(connection, model, [obj]) for obj in objs])


def _copy(connection: BaseDatabaseWrapper, model: type[Model], objs: Sequence[Model]) -> None:
    _copy_rows(connection, model, _copy_values(connection, model, objs))


def _copy_values(
    connection: BaseDatabaseWrapper, model: type[Model], objs: Sequence[Model]
) -> list[Any]:
    """The values ``_values`` gives, as psycopg adapts them for a statement, so what COPY
    stores is what an INSERT would store; JSON values as their text (see below)."""
    values = _values(connection, model, objs)
    if json_at := _json_columns(model):
        _json_encoded_once(values, len(_columns(model)), json_at)
    return values


def _copy_rows(connection: BaseDatabaseWrapper, model: type[Model], values: list[Any]) -> None:
    """The rows by ``COPY … FROM STDIN``."""
    width = len(_columns(model))
    # The copy's errors come when it ends, outside the cursor's own wrapping: wrapped here,
    # a broken constraint is Django's IntegrityError as an INSERT's would be.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.copy(_copy_sql(connection.alias, model)) as copy,
    ):
        for start in range(0, len(values), width):
            copy.write_row(values[start : start + width])


def _copy_unless_conflicting(
    connection: BaseDatabaseWrapper, model: type[Model], objs: Sequence[Model]
) -> None:
    """COPY has no ``ON CONFLICT``. Conflicts are rare (a retried step's notifications), so
    the rows are copied under a savepoint of their own and, if one of them breaks a unique
    constraint, sent again as INSERTs that skip it (what ``ON CONFLICT DO NOTHING`` skips).
    Any other failure is raised, with the copy undone. The savepoint is taken by hand: a
    batch run without savepoints (``core.savepoints.left_out``) has none to give.
    """
    values = _copy_values(connection, model, objs)
    if connection.get_autocommit():
        try:  # outside a transaction the copy is its own: a conflict leaves nothing written
            _copy_rows(connection, model, values)
        except IntegrityError as exc:
            if not _skippable(exc):
                raise
            _insert_pipelined(connection, model, objs, True)
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SAVEPOINT {COPY_SAVEPOINT}")
        try:
            _copy_rows(connection, model, values)
        except BaseException as exc:
            # Undone whatever the failure, so the transaction is as the caller left it; if
            # the connection itself is gone, the caller hears of the failure that came first.
            with contextlib.suppress(DatabaseError):
                cursor.execute(f"ROLLBACK TO SAVEPOINT {COPY_SAVEPOINT}")
                cursor.execute(f"RELEASE SAVEPOINT {COPY_SAVEPOINT}")
            if not (isinstance(exc, IntegrityError) and _skippable(exc)):
                raise
            _insert_pipelined(connection, model, objs, True)
        else:
            cursor.execute(f"RELEASE SAVEPOINT {COPY_SAVEPOINT}")


COPY_SAVEPOINT = "tierdesk_rows_copy"


def _skippable(exc: IntegrityError) -> bool:
    """A conflict ``ON CONFLICT DO NOTHING`` skips: a unique or exclusion constraint (a
    foreign key or NOT NULL would fail the INSERTs again)."""
    return isinstance(exc.__cause__, UniqueViolation | ExclusionViolation)


def _json_encoded_once(values: list[Any], width: int, json_at: list[int]) -> None:
    """Replace the JSON values of COPY's rows by their text, encoded once per object: the
    recipients of one alert share one frozen context, which psycopg encoded per row. The
    server parses the text as it parses what psycopg would have sent."""
    texts: dict[tuple[int, Any], Any] = {}
    for start in range(0, len(values), width):
        for index in json_at:
            value = values[start + index]
            if type(value) is not Jsonb or value.dumps is None:
                continue
            # The objects outlive this call, so their ids stay theirs.
            key = (id(value.obj), value.dumps)
            text = texts.get(key)
            if text is None:
                text = texts[key] = value.dumps(value.obj)
            if isinstance(text, str):
                values[start + index] = text


@functools.cache
def _json_columns(model: type[Model]) -> list[int]:
    return [
        index
        for index, field in enumerate(_columns(model))
        if field.get_internal_type() == "JSONField"
    ]


@functools.cache
def _copy_sql(alias: str, model: type[Model]) -> str:
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(field.column) for field in _columns(model))
    return f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"


def insert_one(obj: Model) -> None:
    """Insert ``obj`` as a new row and set its generated primary key."""
    model = type(obj)
    connection = connections[router.db_for_write(model)]
    sql = _insert_sql(connection.alias, model, 1, False, True)
    with connection.cursor() as cursor:
        cursor.execute(sql, _values(connection, model, [obj]))
        (pk,) = cursor.fetchone()
    obj.pk = pk
    obj._state.adding, obj._state.db = False, connection.alias


def build(model: type[M], **values: Any) -> M:
    """The unsaved instance ``model(**values)`` makes, without ``Model.__init__``'s work per
    field (a descriptor call, a pop, a default looked up, two signals sent: 10-12 µs for a
    notification row, of which a scheduler batch makes four a firing).

    A relation given as an instance is checked and cached on the new one, as its descriptor
    would; every field not given takes its default. No ``pre_init``/``post_init`` signal is
    sent, so only models without receivers for them belong here (none of tierdesk's has one).
    """
    known, plan = _build_plan(model)
    if unknown := values.keys() - known:
        raise TypeError(f"{model.__name__}() got unexpected keyword arguments {sorted(unknown)}")
    obj = model.__new__(model)
    obj._state = state = ModelState()
    attrs = obj.__dict__
    for name, attname, related, default in plan:
        if name in values:
            value = values[name]
            if related is not None:
                if attname in values:
                    raise TypeError(f"{model.__name__}(): give {name} or {attname}, not both")
                target_model, target = related
                state.fields_cache[name] = value
                if value is not None:
                    if not isinstance(value, target_model):
                        raise ValueError(
                            f"{model.__name__}.{name} must be a {target_model.__name__} "
                            f"instance, not {value!r}"
                        )
                    if state.db is None:  # as the relation's descriptor routes it
                        state.db = router.db_for_write(model, instance=value)
                    value = getattr(value, target)
            attrs[attname] = value
        elif attname in values:
            attrs[attname] = values[attname]
        else:
            attrs[attname] = default()
    return obj


BuildStep = tuple[str, str, tuple[type[Model], str] | None, Callable[[], Any]]


@functools.cache
def _build_plan(
    model: type[Model],
) -> tuple[frozenset[str], list[BuildStep]]:
    """The names a field may be given by, and each field's name, attname, for a relation
    the model it points at and the attname read off an instance given for it, and its
    default."""
    meta = model._meta
    if meta.private_fields or len(meta.fields) != len(meta.concrete_fields):
        raise TypeError(f"{model.__name__} has fields rows.build does not set")
    plan: list[BuildStep] = []
    for field in meta.concrete_fields:
        related = None
        if field.is_relation:
            target = field.target_field.attname  # type: ignore[attr-defined]
            related = (cast(type[Model], field.related_model), target)
        plan.append((field.name, field.attname, related, field.get_default))
    known = frozenset(name for entry in plan for name in entry[:2])
    return known, plan


def _values(connection: BaseDatabaseWrapper, model: type[Model], objs: Sequence[Model]) -> list:
    """The parameters of ``objs``' rows, as ``pre_save`` and ``get_db_prep_save`` give them.

    A value that is already what its column stores (a ``str`` for a text column, an ``int``
    for an integer or a key to one, a ``bool``, ``None``) is taken as it is: through the
    field's methods it came back unchanged, at a cost of several calls each, and a new
    ticket's rows have some 150 of them. An instant in UTC (what ``timezone.now()`` and a
    read give) is turned into what the backend stores directly, not through the field's
    checks for naive values and the backend's time zone conversion, which cost about a
    thirtieth of a mail import on SQLite.
    """
    values: list[Any] = []
    append = values.append
    as_stored = _instant_as_stored(connection)
    for obj in objs:
        for attname, plain, field in _preparers(model):
            if plain is not None:
                value: Any = getattr(obj, attname)
                if value is None:
                    append(value)
                    continue
                kind = type(value)
                if kind is plain and kind is not datetime:
                    append(value)
                    continue
                if kind is plain and as_stored is not None and value.tzinfo is UTC:
                    append(as_stored(value))
                    continue
            append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return values


def _instant_as_stored(connection: BaseDatabaseWrapper) -> Callable[[datetime], Any] | None:
    """What ``DateTimeField.get_db_prep_save`` makes of an aware UTC datetime on this
    connection, or None where that is not known to be this simple."""
    if not settings.USE_TZ:
        return None
    if connection.vendor == "postgresql":
        return _unchanged  # psycopg adapts the aware datetime itself
    if connection.vendor == "sqlite" and connection.timezone_name == "UTC":
        return _naive_text  # the backend makes it naive in UTC and stores its text
    return None


def _unchanged(value: datetime) -> datetime:
    return value


def _naive_text(value: datetime) -> str:
    return str(value.replace(tzinfo=None))


# Field classes whose pre_save is the attribute itself and whose get_db_prep_save returns a
# value of this type unchanged (a datetime: as _instant_as_stored says). Exact classes only:
# a subclass may prepare values its way.
_UNCHANGED: dict[type[Field], type] = {
    **dict.fromkeys((fields.CharField, fields.TextField, fields.EmailField), str),
    **dict.fromkeys((fields.SlugField, fields.URLField), str),
    **dict.fromkeys(
        (
            fields.IntegerField,
            fields.BigIntegerField,
            fields.SmallIntegerField,
            fields.PositiveIntegerField,
            fields.PositiveSmallIntegerField,
            fields.PositiveBigIntegerField,
            fields.AutoField,
            fields.BigAutoField,
        ),
        int,
    ),
    fields.BooleanField: bool,
    # Only aware UTC values (see _values); any other goes through the field.
    fields.DateTimeField: datetime,
}


@functools.cache
def _preparers(model: type[Model]) -> list[tuple[str, type | None, Field]]:
    return [(field.attname, _unchanged_type(field), field) for field in _columns(model)]


def _unchanged_type(field: Field) -> type | None:
    if type(field) in (ForeignKey, OneToOneField):
        # A key is prepared as the column it points at.
        return _unchanged_type(field.target_field)  # type: ignore[attr-defined]
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return None  # pre_save sets its value
    return _UNCHANGED.get(type(field))


@functools.cache
def _columns(model: type[Model]) -> list[Field]:
    """The columns an insert writes: every concrete one but a generated primary key."""
    meta = model._meta
    return [
        field
        for field in meta.concrete_fields
        if not (field.primary_key and getattr(field, "db_returning", False))
        and not getattr(field, "generated", False)
    ]


@functools.cache
def _insert_sql(
    alias: str, model: type[Model], rows: int, ignore_conflicts: bool, returning: bool
) -> str:
    ops, fields = connections[alias].ops, _columns(model)
    quote = ops.quote_name
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"{ops.insert_statement(on_conflict=on_conflict)} {quote(model._meta.db_table)}"
        f" ({', '.join(quote(field.column) for field in fields)}) VALUES {', '.join([row] * rows)}"
    )
    suffix = ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
    if suffix:
        sql += f" {suffix}"
    if returning:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    return sql


def from_row(model: type[M], row: Sequence[Any], using: str = "default") -> M:
    """The instance of ``model`` that a row of all its concrete columns, in field order,
    stands for; the values go through the converters a queryset applies.

    A raw queryset does the same but reads the cursor's column description first, which a
    pipelined cursor does not have before its answer is in (see ``core.pipeline``).
    """
    connection = connections[using]
    values = list(row)
    for index, column, converters in _converters(using, model):
        for convert in converters:
            values[index] = convert(values[index], column, connection)
    return model.from_db(using, _attnames(model), values)


def select_list(alias: str, model: type[Model]) -> str:
    """``alias.column, ...`` for every concrete column of ``model`` in field order: the row
    :func:`from_row` takes."""
    quote = connections[router.db_for_read(model)].ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


@functools.cache
def _converters(using: str, model: type[Model]) -> list[tuple[int, Any, list[Any]]]:
    connection = connections[using]
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            found.append((index, column, converters))
    return found


@functools.cache
def _attnames(model: type[Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


ROWS_PER_STATEMENT = 500


def update_many(objs: Sequence[Model], fields: Sequence[str]) -> None:
    """Save ``fields`` of ``objs`` (one model, all already in the database)."""
    if not objs or not fields:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    names = tuple(fields)
    columns = _update_many_columns(model, names)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), ROWS_PER_STATEMENT):
            chunk = objs[start : start + ROWS_PER_STATEMENT]
            params = [
                field.get_db_prep_save(getattr(obj, field.attname), connection)
                for obj in chunk
                for field in columns
            ]
            cursor.execute(_update_many_sql(connection.alias, model, names, len(chunk)), params)


@functools.cache
def _update_many_columns(model: type[Model], names: tuple[str, ...]) -> list[Field]:
    meta = model._meta
    return [meta.pk, *(meta.get_field(name) for name in names)]  # type: ignore[list-item]


@functools.lru_cache(maxsize=256)  # a shape per row count: bounded, the statements are long
def _update_many_sql(alias: str, model: type[Model], names: tuple[str, ...], rows: int) -> str:
    connection = connections[alias]
    quote, meta = connection.ops.quote_name, model._meta
    columns = _update_many_columns(model, names)

    def slot(field: Field) -> str:
        # PostgreSQL types a VALUES list from its literals; the casts make it the columns' types.
        if connection.vendor == "postgresql":
            return f"CAST(%s AS {field.db_type(connection)})"
        return "%s"

    row = f"({', '.join(slot(field) for field in columns)})"
    listed = ", ".join(quote(field.column) for field in columns)
    table, key = quote(meta.db_table), quote(meta.pk.column)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    return (
        f"WITH v ({listed}) AS (VALUES {', '.join([row] * rows)}) "
        f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{key} = v.{key}"
    )


def update_one(obj: Model, fields: Iterable[str]) -> None:
    """Save ``fields`` (names or attnames) of ``obj``, already in the database, by primary
    key: one UPDATE built once per model and set of fields, not compiled per call."""
    model = type(obj)
    connection = connections[router.db_for_write(model)]
    sql, columns = _update_one_sql(connection.alias, model, frozenset(fields))
    params = [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])


@functools.cache
def _update_one_sql(
    alias: str, model: type[Model], names: frozenset[str]
) -> tuple[str, list[Field]]:
    quote, meta = connections[alias].ops.quote_name, model._meta
    columns: list[Field] = sorted(
        {meta.get_field(name) for name in names},  # type: ignore[misc]
        key=lambda field: field.column,
    )
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    return sql, columns


def json_value(raw: object) -> Any:
    """A JSON column's value as a raw cursor returns it: text on SQLite and (as Django sets
    up psycopg) on PostgreSQL, already decoded by a driver that does so."""
    return json.loads(raw) if isinstance(raw, str | bytes) else raw
