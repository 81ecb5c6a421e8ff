"""Background work for mail intake."""

from __future__ import annotations

import logging

from django_tasks import task

from tierdesk.intake_email.selectors import stuck
from tierdesk.intake_email.services.ingest import enqueue_processing, process

log = logging.getLogger(__name__)


@task()
def process_inbound_message(message_id: int) -> str:
    """Parse and act on one stored message (queued when it was stored)."""
    return process(message_id)


def requeue_stuck(older_than_seconds: int = 300) -> int:
    """Queue processing again for messages stored but untouched for a while (their task
    was lost with a crashed worker). Processing is idempotent, so a spare run is harmless."""
    ids = stuck(older_than_seconds)
    for pk in ids:
        enqueue_processing(pk)
    if ids:
        log.info("mail: re-queued %s stored message(s) that were never processed", len(ids))
    return len(ids)
