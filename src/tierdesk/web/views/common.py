"""What every workspace view shares: who may enter, and how domain refusals are shown."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from tierdesk.accounts.models import User
from tierdesk.core.errors import DomainError, StaleVersion
from tierdesk.web.access import can_manage, is_staff

View = TypeVar("View", bound=Callable[..., HttpResponse])

CHANNEL = "web"


def staff_required(view: View) -> View:
    """Signed-in staff only: requesters get the 403 page (with a link to their portal).

    A live refresh (HTMX) whose session has expired must not swap the sign-in page into a
    table body: it gets an ``HX-Redirect`` so the whole page goes to sign-in instead.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff(request.user):
            raise PermissionDenied("the agent workspace is for support staff")
        return view(request, *args, **kwargs)

    signed_in = login_required(wrapper)

    @wraps(view)
    def outer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.headers.get("HX-Request") and not request.user.is_authenticated:
            current = request.headers.get("HX-Current-URL", "")
            page = urlsplit(current).path if current else "/"
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{settings.LOGIN_URL}?{urlencode({'next': page})}"
            return response
        return signed_in(request, *args, **kwargs)

    return cast(View, outer)


def management_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage(request.user):
            raise PermissionDenied("the management view is for leads, managers and auditors")
        return view(request, *args, **kwargs)

    return cast(View, staff_required(wrapper))


def viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def error_status(exc: DomainError) -> int:
    """HTTP status of a page showing this refusal; a stale version is a 409 in the browser."""
    if isinstance(exc, StaleVersion):
        return 409
    return exc.http_status if exc.http_status in (403, 404, 409, 422) else 400


def error_text(exc: DomainError, key: str | None = None) -> str:
    if isinstance(exc, StaleVersion):
        subject = key or "The ticket"
        return f"{subject} changed since you opened it — reload to see the change, then try again."
    return f"{key}: {exc.message}" if key else exc.message


def safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
