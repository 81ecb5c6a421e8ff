"""The floor view exists only in the benchmark's URL configuration."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_bench_floor_answers_json_only_under_the_bench_urls(settings):
    assert Client().get("/_bench/floor").status_code == 404
    settings.ROOT_URLCONF = "tierdesk.bench.urlconf"
    response = Client().get("/_bench/floor")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
