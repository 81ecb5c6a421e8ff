"""A parser that is slow, hangs or dies on request, run in the real worker process by tests."""

from __future__ import annotations

import os
import time
from typing import Any

from tierdesk.intake_email.parsing import ParsedMessage, parse_message


def parse(raw: bytes, **options: Any) -> ParsedMessage:
    if b"X-Test-Hang: yes" in raw:
        time.sleep(120)
    if b"X-Test-Slow: yes" in raw:
        time.sleep(0.2)
    if b"X-Test-Crash: yes" in raw:
        os._exit(3)
    return parse_message(raw, **options)
