"""The HTTP floor: the cheapest JSON answer Django can give through the full middleware stack.

Benchmarks compare every HTTP scenario with this view served by the same server, the same
worker count and the same settings, measured in the same run.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse


def floor(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
