"""The production URLs plus ``/_bench/floor``; used only by the benchmark's server.

Production never routes to the floor view: only :mod:`tierdesk.bench.settings` (set by the
benchmark when it starts ``tierdesk web``) points ``ROOT_URLCONF`` here.
"""

from django.urls import include, path

from tierdesk.urls import urlpatterns as production

urlpatterns = [path("_bench/", include("tierdesk.bench.urls")), *production]
