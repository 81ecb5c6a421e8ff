"""Domain errors. Adapters map them to their medium: HTTP status, CLI exit code, form error."""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """Base for every refusal a command makes on purpose. ``str(error)`` is user-facing."""

    http_status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    http_status = 422


class NotFound(DomainError):
    """Absent, or present but invisible to the actor: the two must be indistinguishable."""

    http_status = 404


class Forbidden(DomainError):
    """The actor may see the object but not make this change."""

    http_status = 403


class Conflict(DomainError):
    http_status = 409


class TransitionNotAllowed(Conflict):
    def __init__(self, current: str, requested: str, allowed: Iterable[str]) -> None:
        self.allowed = sorted(allowed)
        allowed_text = ", ".join(self.allowed) or "none (the ticket is final)"
        super().__init__(
            f"cannot move a ticket from {current} to {requested}; allowed: {allowed_text}",
            field="to",
        )


class StaleVersion(DomainError):
    http_status = 412

    def __init__(self, current: int) -> None:
        self.current = current
        super().__init__(
            f"the ticket changed since you read it (it is now at version {current}); "
            "reload and try again",
            field="If-Match",
        )
