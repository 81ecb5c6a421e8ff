"""Hosts of one deployment must share keys: a different key is refused, not used."""

from __future__ import annotations

import pytest

from tierdesk.conf.env import ConfigurationError
from tierdesk.conf.keys import mismatches, record_or_refuse

pytestmark = pytest.mark.django_db


def test_a_second_host_with_another_audit_key_is_refused(settings):
    record_or_refuse()
    assert mismatches() == []
    settings.AUDIT_KEY = "a-different-key-generated-on-another-host"
    problems = mismatches()
    assert len(problems) == 1
    assert problems[0].startswith("TIERDESK_AUDIT_KEY")
    with pytest.raises(ConfigurationError, match="TIERDESK_AUDIT_KEY"):
        record_or_refuse()
