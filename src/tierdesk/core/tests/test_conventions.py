"""Conventions that are tests too."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_are_in_step():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}\n{exc}")


def test_every_api_route_requires_a_token_except_the_docs():
    from tierdesk.api import api

    schema = api.get_openapi_schema()
    open_routes = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not operation.get("security"):
                open_routes.append(f"{method.upper()} {path}")
    assert open_routes == ["POST /api/v1/channels/phone/calls"], open_routes
