"""Drive portal forms the way a browser does: read the page, send its tokens back."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

NEW_TICKET = {
    "title": "Cannot connect to the VPN",
    "description": "Since this morning the VPN client says 'authentication failed'.",
    "service": "vpn",
    "impact": "medium",
    "urgency": "high",
}


def page_tokens(client: Client, path: str) -> dict[str, str]:
    """The hidden inputs of the page's forms (CSRF token, form token)."""
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    return dict(re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', html))


def post_from(client: Client, page: str, path: str, data: dict[str, Any]) -> Any:
    """POST ``data`` to ``path`` with the hidden fields of ``page``, like submitting its form."""
    hidden = page_tokens(client, page)
    return client.post(path, {**hidden, **data})


def html_of(response: Any) -> str:
    return str(response.content.decode())


def without_tokens(html: str) -> str:
    """The page with its per-request CSRF tokens blanked, to compare two responses."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', html)
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', html)
