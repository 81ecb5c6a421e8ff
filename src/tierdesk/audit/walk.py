"""Walking audit chains: events in chain order as raw rows, with the chain heads streamed
alongside in the same order, so memory stays flat however many chains there are.

The payload of each event is rebuilt from the stored text of its columns (see
``tierdesk.audit.chain``) instead of through model instances, the slow part of a naive walk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from tierdesk.audit.chain import (
    GENESIS,
    canonical_json_column,
    encode_json,
    encode_text,
    epoch_micros,
    head_mac,
    link_pads,
)
from tierdesk.audit.models import ChainHead, Event

BATCH = 5000
# Stored JSON texts repeat a lot ("{}", team slugs, statuses); remember this many encodings.
_JSON_CACHE_SIZE = 20_000
fromisoformat = datetime.fromisoformat

# A range of chains: from the first (inclusive) to the second, None for no limit.
Bounds = tuple[str | None, str | None]


@dataclass(frozen=True)
class Break:
    chain: str
    seq: int | None
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event {self.event_id} (seq {self.seq})" if self.event_id else "chain head"
        return f"{self.chain}: {where}: {self.reason}"


class ChainedTickets:
    """The ticket ids that have a chain, as a bit set, checked against the ticket table."""

    # Ids beyond this many bits (16 MiB) are unusual enough to keep in a plain set.
    _BITS = 1 << 27

    def __init__(self) -> None:
        self._bits = bytearray()
        self._other: set[int] = set()
        self._unnumbered: str | None = None

    def add(self, chain: str) -> None:
        if not chain.startswith("ticket:"):
            return
        try:
            ticket_id = int(chain.split(":", 1)[1])
        except ValueError:
            self._unnumbered = self._unnumbered or chain
            return
        if 0 <= ticket_id < self._BITS:
            byte = ticket_id >> 3
            if byte >= len(self._bits):
                self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))
            self._bits[byte] |= 1 << (ticket_id & 7)
        else:
            self._other.add(ticket_id)

    def merge(self, other: ChainedTickets) -> None:
        """Add the ticket chains another walk (another range) met."""
        if len(other._bits) > len(self._bits):
            self._bits.extend(bytes(len(other._bits) - len(self._bits)))
        for index, bits in enumerate(other._bits):
            if bits:
                self._bits[index] |= bits
        self._other |= other._other
        if other._unnumbered and (self._unnumbered is None or other._unnumbered < self._unnumbered):
            self._unnumbered = other._unnumbered

    def take(self, ticket_id: int) -> bool:
        """Whether ``ticket_id`` has a chain; each id is taken once, so ``left`` are those
        without a ticket."""
        byte = ticket_id >> 3
        if 0 <= ticket_id < self._BITS and byte < len(self._bits):
            mask = 1 << (ticket_id & 7)
            if self._bits[byte] & mask:
                self._bits[byte] &= ~mask & 0xFF
                return True
            return False
        if ticket_id in self._other:
            self._other.discard(ticket_id)
            return True
        return False

    def left(self) -> str | None:
        """The chain of the smallest ticket id not taken, else a ticket chain without id."""
        orphans = [min(self._other)] if self._other else []
        byte = next((i for i, bits in enumerate(self._bits) if bits), None)
        if byte is not None:
            low = self._bits[byte]
            orphans.append(byte * 8 + (low & -low).bit_length() - 1)
        if orphans:
            return f"ticket:{min(orphans)}"
        return self._unnumbered


@contextmanager
def lean_reads() -> Iterator[None]:
    """No memory map for the walk: it reads pages all over the file (chain order is not
    insertion order), and every mapped page would stay resident, up to the 256 MB the
    settings allow; reads go through the page cache instead, capped at 32 MB."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        saved = {}
        for pragma, lean in (("mmap_size", 0), ("cache_size", -32768)):
            cursor.execute(f"PRAGMA {pragma}")
            if (row := cursor.fetchone()) is not None:  # an in-memory database has no map
                saved[pragma] = int(row[0])
                cursor.execute(f"PRAGMA {pragma} = {lean}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for pragma, value in saved.items():
                cursor.execute(f"PRAGMA {pragma} = {value}")


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _columns(model: Any, names: Sequence[str]) -> list[str]:
    quote = connection.ops.quote_name
    return [quote(model._meta.get_field(name).column) for name in names]


def _keyset_pages(
    select: str, table: str, key: Sequence[str], bounds: Bounds = (None, None)
) -> Iterator[list[Any]]:
    """Pages of ``select`` ordered by ``key``, each starting after the last row of the one
    before (the key columns lead every row), within ``bounds`` of the first key column.

    After the first page the lower bound is left out: the last row is past it already, and
    with it SQLite seeks the index to the bound and filters its way to the last row, so
    that each page of a range that does not start at the beginning re-read every page
    before it.
    """
    order = ", ".join(key)
    after = f"({order}) > ({', '.join(['%s'] * len(key))})" if len(key) > 1 else f"{key[0]} > %s"
    lower, upper = bounds
    last: Sequence[Any] | None = None
    with connection.cursor() as cursor:
        while True:
            where, params = [], []
            if last is None and lower is not None:
                where.append(f"{key[0]} >= %s")
                params.append(lower)
            if upper is not None:
                where.append(f"{key[0]} < %s")
                params.append(upper)
            if last is not None:
                where.append(after)
                params.extend(last)
            cursor.execute(
                f"SELECT {select} FROM {table} "
                f"{'WHERE ' + ' AND '.join(where) if where else ''} "
                f"ORDER BY {order} LIMIT {BATCH}",
                params,
            )
            page = cursor.fetchall()
            if not page:
                return
            yield page
            last = page[-1][: len(key)]


class _Heads:
    """Chain heads streamed in chain order, consumed as the event walk reaches each chain."""

    def __init__(self, key: bytes, bounds: Bounds) -> None:
        self.key = key
        table = _table(ChainHead)
        chain, seq, digest, mac = _columns(ChainHead, ["chain", "seq", "hash", "mac"])
        self._pages = _keyset_pages(f"{chain}, {seq}, {digest}, {mac}", table, [chain], bounds)
        self._page: list[Any] = []
        self._next = 0
        self.orphan: str | None = None

    def _peek(self) -> Any:
        if self._next == len(self._page):
            self._page, self._next = next(self._pages, []), 0
            if not self._page:
                return None
        return self._page[self._next]

    def _skip_orphan(self, chain: str) -> None:
        # A head whose chain has no events: reported only after every chain was walked,
        # the smallest name first, as the set difference it replaces did.
        if self.orphan is None or chain < self.orphan:
            self.orphan = chain
        self._next += 1

    def end_of(self, chain: str, seq: int, digest: str) -> Break | None:
        """Check that the walk ended ``chain`` where its head says it ends."""
        head = self._peek()
        while head is not None and head[0] != chain and _sorts_before(head[0], chain):
            self._skip_orphan(head[0])
            head = self._peek()
        if head is None or head[0] != chain:
            recorded: Any = "nothing"
        else:
            self._next += 1
            _, recorded, recorded_hash, mac = head
            if mac != head_mac(self.key, chain, recorded, recorded_hash):
                return Break(
                    chain, None, None, "the chain head was altered (its keyed MAC does not match)"
                )
            if (recorded, recorded_hash) == (seq, digest):
                return None
        return Break(
            chain,
            None,
            None,
            f"chain ends at seq {seq} but its head says {recorded}: "
            "events were removed or the head edited",
        )

    def drain(self) -> None:
        """Skip the heads after the last chain walked: none of them has events."""
        while (head := self._peek()) is not None:
            self._skip_orphan(head[0])


def _sorts_before(left: str, right: str) -> bool:
    """Whether the database orders ``left`` before ``right``: its collation, not Python's,
    decides the order both streams arrive in. Asked only when a chain and a head disagree."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s < %s", [left, right])
        return bool(cursor.fetchone()[0])


@dataclass
class Walked:
    """What walking the chains of one range found; picklable, to come back from a worker."""

    events: int = 0
    chains: int = 0
    first_break: Break | None = None
    orphan_head: str | None = None
    tickets: ChainedTickets = field(default_factory=ChainedTickets)


def walk(key: bytes, bounds: Bounds, progress: Callable[[int], None] | None) -> Walked:
    """Verify the chains from ``bounds[0]`` (inclusive) to ``bounds[1]`` in chain order."""
    report = Walked()
    heads = _Heads(key, bounds)
    report.first_break = _Walk(key, bounds, report, heads, progress).run()
    if report.first_break is None:
        heads.drain()
        report.orphan_head = heads.orphan
    return report


class _Walk:
    def __init__(
        self,
        key: bytes,
        bounds: Bounds,
        report: Walked,
        heads: _Heads,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.key = key
        self.bounds = bounds
        self.report = report
        self.progress = progress
        self.heads = heads
        self.tickets = report.tickets

    def _event_pages(self) -> Iterator[list[Any]]:
        names = [
            "chain",
            "seq",
            "id",
            "ticket_id",
            "actor_id",
            "channel",
            "kind",
            "field",
            "before",
            "after",
            "note",
            "data",
            "created_at",
            "prev_hash",
            "hash",
        ]
        columns = _columns(Event, names)
        # Not a datetime per row: the sqlite3 module's converter and Django's psycopg
        # loader cost more than hashing the event.
        at = names.index("created_at")
        if connection.vendor == "postgresql":
            columns[at] = f"(EXTRACT(EPOCH FROM {columns[at]}) * 1000000)::bigint"
        else:
            columns[at] = f"CAST({columns[at]} AS TEXT)"
        return _keyset_pages(", ".join(columns), _table(Event), columns[:2], self.bounds)

    def run(self) -> Break | None:
        report, progress, heads, tickets = self.report, self.progress, self.heads, self.tickets
        inner_pad, outer_pad = link_pads(self.key)
        to_micros = _micros_converter()
        # None is SQL NULL; the rest fills with the stored texts met, up to a bound.
        json_cache: dict[Any, str] = {None: "null"}
        chain: str | None = None
        expected, prev, chain_json = 0, GENESIS, ""
        last_at: Any = None
        micros = 0

        def json_column(text: Any) -> str:
            encoded = canonical_json_column(text)
            if len(json_cache) < _JSON_CACHE_SIZE and type(text) is str:
                json_cache[text] = encoded
            return encoded

        # The loop body runs millions of times: the common column types are encoded inline
        # (what the JSON encoder does with a str or an int) and anything else goes through
        # the encoder itself, so every value encodes exactly as ``canonical`` encodes it.
        for page in self._event_pages():
            for row in page:
                (
                    row_chain,
                    seq,
                    event_id,
                    ticket_id,
                    actor_id,
                    channel,
                    kind,
                    field,
                    before,
                    after,
                    note,
                    data,
                    created_at,
                    prev_hash,
                    digest,
                ) = row
                if row_chain != chain:
                    if chain is not None:
                        if broken := heads.end_of(chain, expected, prev):
                            report.events += page.index(row)
                            return broken
                        tickets.add(chain)
                    chain, expected, prev = row_chain, 0, GENESIS
                    chain_json = encode_text(chain) if type(chain) is str else encode_json(chain)
                    report.chains += 1
                expected += 1
                if seq != expected or prev_hash != prev:
                    report.events += page.index(row)
                    return Break(
                        chain,
                        seq,
                        event_id,
                        f"expected seq {expected} after the previous event: "
                        "an event before it was deleted or altered",
                    )
                if created_at != last_at:
                    last_at, micros = created_at, to_micros(created_at)
                inner = inner_pad.copy()
                inner.update(
                    f"{prev}[{chain_json},{expected},"
                    f"{ticket_id if type(ticket_id) is int else _scalar(ticket_id)},"
                    f"{actor_id if type(actor_id) is int else _scalar(actor_id)},"
                    f"{encode_text(channel) if type(channel) is str else encode_json(channel)},"
                    f"{encode_text(kind) if type(kind) is str else encode_json(kind)},"
                    f"{encode_text(field) if type(field) is str else encode_json(field)},"
                    f"{json_cache.get(before) or json_column(before)},"
                    f"{json_cache.get(after) or json_column(after)},"
                    f"{encode_text(note) if type(note) is str else encode_json(note)},"
                    f"{json_cache.get(data) or json_column(data)},{micros}]".encode()
                )
                outer = outer_pad.copy()
                outer.update(inner.digest())
                if outer.hexdigest() != digest:
                    report.events += page.index(row)
                    return Break(
                        chain,
                        seq,
                        event_id,
                        "content does not match its hash: the event was edited",
                    )
                prev = digest
            report.events += len(page)
            if progress:
                progress(len(page))
        if chain is not None:
            if broken := heads.end_of(chain, expected, prev):
                return broken
            tickets.add(chain)
        return None


def _scalar(value: Any) -> str:
    return "null" if value is None else encode_json(value)


def _micros_converter() -> Callable[[Any], int]:
    """``epoch_micros`` of the ``created_at`` column as ``_event_pages`` selects it: exact
    microseconds since the epoch on PostgreSQL, the stored text on SQLite."""
    if connection.vendor != "sqlite":
        return _hashed_micros
    ops: Any = connection.ops  # SQLite's: the conversion its datetime columns go through
    return sqlite_text_micros(
        lambda text: ops.convert_datetimefield_value(text, None, connection),
        naive_is_utc=connection.timezone == UTC,
    )


def sqlite_text_micros(
    load: Callable[[Any], datetime], *, naive_is_utc: bool
) -> Callable[[Any], int]:
    """``epoch_micros`` of SQLite's stored datetime text, without building a datetime for the
    common case; ``load`` is Django's own conversion, used for anything unusual."""

    def from_text(text: Any) -> int:
        try:
            value = fromisoformat(text)
        except (TypeError, ValueError):
            value = None
        if value is None or (value.tzinfo is None and not naive_is_utc):
            # What Django's loader does with anything else, e.g. a naive time in another zone.
            return epoch_micros(load(text))
        since = value - (_EPOCH if value.tzinfo is None else _EPOCH_UTC)
        return _hashed_micros(
            (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds
        )

    return from_text


_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=UTC)


def _hashed_micros(micros: int) -> int:
    """``epoch_micros`` of the instant ``micros`` microseconds after the epoch: the whole
    seconds are what ``int()`` makes of ``datetime.timestamp()``, i.e. of this division."""
    return int(micros / 1_000_000) * 1_000_000 + micros % 1_000_000
