"""Targets used when the org file defines no policy for a priority (minutes, 24×7)."""

DEFAULT_TARGETS: dict[str, tuple[int, int]] = {
    "P1": (15, 4 * 60),
    "P2": (30, 8 * 60),
    "P3": (4 * 60, 3 * 24 * 60),
    "P4": (8 * 60, 5 * 24 * 60),
    "P5": (24 * 60, 10 * 24 * 60),
}

DEFAULT_OLA_MINUTES: dict[str, int] = {
    "P1": 30,
    "P2": 60,
    "P3": 4 * 60,
    "P4": 8 * 60,
    "P5": 24 * 60,
}

DEFAULT_HIERARCHY: dict[str, list[dict[str, object]]] = {
    "P1": [
        {"at_percent": 50, "notify": ["team_lead", "incident_manager"]},
        {"at_percent": 75, "notify": ["lead_manager"]},
        {"at_percent": 100, "notify": ["lead_manager", "incident_manager", "it_manager", "cio"]},
    ],
    **{
        priority: [
            {"at_percent": 75, "notify": ["team_lead"]},
            {"at_percent": 100, "notify": ["lead_manager", "incident_manager"]},
        ]
        for priority in ("P2", "P3", "P4", "P5")
    },
}
