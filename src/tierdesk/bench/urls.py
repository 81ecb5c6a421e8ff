"""URLs of the benchmark helpers (mounted under ``/_bench/`` by :mod:`tierdesk.bench.urlconf`)."""

from django.urls import path

from tierdesk.bench import views

urlpatterns = [
    path("floor", views.floor, name="bench-floor"),
]
