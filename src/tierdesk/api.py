"""The REST API root: ``/api/v1/``, bearer-token auth, errors as ``{"detail": …}``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from tierdesk.accounts.models import User
from tierdesk.accounts.tokens import authenticate
from tierdesk.core.errors import DomainError, TransitionNotAllowed


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return authenticate(token)


api = NinjaAPI(
    title="tierdesk API",
    version="1",
    description="Tiered production support: tickets, escalation, SLA clocks, the organisation.",
    auth=BearerToken(),
    urls_namespace="api-v1",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    body: dict[str, Any] = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    if isinstance(exc, TransitionNotAllowed):
        body["allowed"] = exc.allowed
    return api.create_response(request, body, status=exc.http_status)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        problems.append({"field": ".".join(location), "message": error.get("msg", "invalid")})
    first = problems[0] if problems else {"field": "", "message": "invalid input"}
    return api.create_response(
        request,
        {
            "detail": f"{first['field']}: {first['message']}",
            "field": first["field"],
            "errors": problems,
        },
        status=422,
    )


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "missing or invalid bearer token"}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


def _register() -> None:
    from tierdesk.intake_email.api import router as attachments_router
    from tierdesk.org.api import router as org_router
    from tierdesk.phone.api import router as phone_router
    from tierdesk.tickets.api import router as tickets_router

    api.add_router("/", org_router)
    api.add_router("/tickets", tickets_router)
    api.add_router("/tickets", attachments_router)
    api.add_router("/channels/phone", phone_router)


_register()
