"""Pins the desk policies for one request, so every policy read in it costs one query."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tierdesk.org import policies


class PinPoliciesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with policies.pinned():
            return self.get_response(request)
