"""A generated ticket's audit chain, hashed exactly as the live writer hashes it.

Payloads come from :func:`tierdesk.audit.chain.canonical`, digests equal
:func:`tierdesk.audit.chain.link` (an HMAC prepared once with the key and copied per event)
and heads carry :func:`tierdesk.audit.chain.head_mac`, so ``tierdesk audit verify`` accepts
generated chains.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tierdesk.audit.chain import GENESIS, canonical, head_mac

if TYPE_CHECKING:
    from tierdesk.bench.synth import Rows

Formatter = Callable[[int | None], str | None]
_quote = json.encoder.encode_basestring_ascii


def as_json(value: Any) -> str | None:
    """JSON text of a column value, with fast paths for the common scalars; None is NULL."""
    if value is None:
        return None
    if isinstance(value, str):
        return str(_quote(value))
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


class Chainer:
    """Hashes a ticket's events into its chain (the key's HMAC state is prepared once)."""

    def __init__(self, key: bytes, fmt: Formatter) -> None:
        self.key = key
        self.mac = hmac.new(key, digestmod=hashlib.sha256)
        self.fmt = fmt

    def chain(self, ticket_id: int, events: list[Any], rows: Rows) -> None:
        chain, prev = f"ticket:{ticket_id}", GENESIS
        seq = 0
        for ts, actor, channel, kind, field, before, after, note, data in events:
            seq += 1
            payload = canonical(
                chain=chain,
                seq=seq,
                ticket_id=ticket_id,
                actor_id=actor,
                channel=channel,
                kind=kind,
                field=field,
                before=before,
                after=after,
                note=note,
                data=data,
                created_at=datetime.fromtimestamp(ts, UTC),
            )
            mac = self.mac.copy()
            mac.update(prev.encode() + payload)
            digest = mac.hexdigest()
            rows.events.append(
                (
                    chain,
                    seq,
                    ticket_id,
                    actor,
                    channel,
                    kind,
                    field,
                    as_json(before),
                    as_json(after),
                    note,
                    json.dumps(data) if data else "{}",
                    self.fmt(ts),
                    prev,
                    digest,
                )
            )
            prev = digest
        rows.heads.append((chain, seq, prev, head_mac(self.key, chain, seq, prev)))
