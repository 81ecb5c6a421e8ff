"""Every host of one deployment must share the secret and audit keys.

A key generated into one host's data directory while another host writes to the same
database would split the audit chain (and sessions) silently. The first process to start
records a keyed fingerprint of each key in the database; any process whose key gives a
different fingerprint refuses to start, and ``tierdesk check`` says why.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from tierdesk.conf.env import ConfigurationError

FINGERPRINTS = {
    "audit_key_fingerprint": ("TIERDESK_AUDIT_KEY", lambda: str(settings.AUDIT_KEY)),
    "secret_key_fingerprint": ("TIERDESK_SECRET_KEY", lambda: str(settings.SECRET_KEY)),
}


def fingerprint(key: str) -> str:
    return hmac.new(key.encode(), b"tierdesk key fingerprint v1", hashlib.sha256).hexdigest()[:24]


def mismatches() -> list[str]:
    from tierdesk.org.models import DeskPolicy

    stored = dict(DeskPolicy.objects.filter(key__in=list(FINGERPRINTS)).values_list("key", "value"))
    problems = []
    for row, (variable, read) in FINGERPRINTS.items():
        if row in stored and stored[row] != fingerprint(read()):
            problems.append(
                f"{variable}: differs from the key this database was written with; every host "
                f"must use the same {variable} (or {variable}_FILE)"
            )
    return problems


def record_or_refuse() -> None:
    """At process start: remember this deployment's keys, or stop if they differ."""
    from tierdesk.org.models import DeskPolicy

    problems = mismatches()
    if problems:
        raise ConfigurationError("; ".join(problems))
    for row, (_variable, read) in FINGERPRINTS.items():
        DeskPolicy.objects.get_or_create(key=row, defaults={"value": fingerprint(read())})
