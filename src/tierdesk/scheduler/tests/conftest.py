from __future__ import annotations

import pytest

from tierdesk.escalations.models import HierarchyPolicy
from tierdesk.slas.models import SlaPolicy


@pytest.fixture
def p3_policy(org):
    """P3 tickets due in 10 minutes (first response) and 60 (resolution), 24x7, with the
    team lead warned at 75% and the lead's manager and incident manager told at 100%."""
    SlaPolicy.objects.create(
        name="P3 fast", priority="P3", first_response_minutes=10, resolution_minutes=60
    )
    HierarchyPolicy.objects.create(
        priority="P3",
        steps=[
            {"at_percent": 75, "notify": ["team_lead"]},
            {"at_percent": 100, "notify": ["lead_manager", "incident_manager"]},
        ],
    )
