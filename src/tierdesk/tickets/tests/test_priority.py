"""The priority matrix as a rule: more impact or urgency never means a lower priority."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierdesk.tickets.priority import derive_priority

levels = st.sampled_from(["high", "medium", "low"])


# The suite's autouse fixtures do not touch what this pure rule reads.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(impact=levels, urgency=levels)
def test_raising_impact_or_urgency_never_lowers_priority(db, impact, urgency):
    order = ["low", "medium", "high"]
    for higher in order[order.index(impact) :]:
        assert derive_priority(higher, urgency) <= derive_priority(impact, urgency)
