"""Who may use the portal: signed-in requesters. Staff belong in the workspace."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from tierdesk.accounts.models import Role, User

View = Callable[..., HttpResponse]
WORKSPACE_URL = "/"


def requester(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def requester_required(view: View) -> View:
    """Anonymous visitors go to the portal sign-in page; staff go to the workspace.

    Pages are sent uncacheable: they hold personal data.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('portal:sign-in')}?{query}")
        if not isinstance(user, User) or user.role != Role.REQUESTER:
            return redirect(WORKSPACE_URL)
        response = view(request, *args, **kwargs)
        # Personal data: never from a shared cache, nor from the browser's after sign-out.
        add_never_cache_headers(response)
        return response

    return wrapped
