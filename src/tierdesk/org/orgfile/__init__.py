"""Org as code: the support organisation described in one YAML file.

``check`` validates a whole file (every problem, with its line) against the database,
``apply`` makes the database match it in one transaction with audit events, and
``export_yaml`` writes the current organisation in the same format. The format is documented
in ``examples/org.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tierdesk.org.orgfile import checks, loader, schema
from tierdesk.org.orgfile.apply import execute
from tierdesk.org.orgfile.export import export_yaml
from tierdesk.org.orgfile.loader import Issue
from tierdesk.org.orgfile.plan import Change, plan

__all__ = ["Change", "Issue", "Outcome", "apply", "export_yaml", "plan_text"]


@dataclass
class Outcome:
    """What ``apply`` found: problems (then nothing was written) or the changes made."""

    issues: list[Issue] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues


def _prepare(text: str | bytes) -> tuple[schema.Spec | None, Outcome]:
    doc, issues = loader.load(text)
    if issues:
        return None, Outcome(issues=issues)
    spec, issues = schema.parse(doc)
    issues += checks.check(spec)  # references are checked even when shapes have problems
    if issues:
        return None, Outcome(issues=sorted(issues, key=lambda i: i.line))
    changes, refusals = plan(spec)
    return spec, Outcome(issues=refusals, changes=[] if refusals else changes)


def plan_text(text: str | bytes) -> Outcome:
    """Validate ``text`` completely and compute its plan; writes nothing."""
    return _prepare(text)[1]


def apply(
    text: str | bytes, *, dry_run: bool = False, at: datetime | None = None, note: str = ""
) -> Outcome:
    """Make the organisation match ``text``, all or nothing.

    The plan is computed inside the writing transaction so that nothing can change between
    checking and writing. Without changes nothing is written, audit events included.
    """
    if dry_run:
        return plan_text(text)
    with transaction.atomic():
        spec, outcome = _prepare(text)
        if spec is not None and outcome.ok and outcome.changes:
            execute(spec, outcome.changes, at=at or timezone.now(), note=note)
            outcome.applied = True
    return outcome
