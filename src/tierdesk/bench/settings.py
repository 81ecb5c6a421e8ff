"""Production settings with the benchmark floor URL added (nothing else differs)."""

from tierdesk.settings import *  # noqa: F403

ROOT_URLCONF = "tierdesk.bench.urlconf"
