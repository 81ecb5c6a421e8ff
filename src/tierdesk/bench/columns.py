"""Column orders of generated rows (Django attribute names, mapped to columns by the writer)."""

# fmt: off
TICKET_FIELDS = (
    "id", "title", "description", "type", "status", "impact", "urgency", "priority",
    "priority_overridden", "category", "service_id", "channel", "requester_id",
    "requester_organisation_id", "team_id", "tier", "assignee_id", "routed_by_id",
    "major_incident", "version", "created_at", "updated_at", "team_entered_at",
    "first_responded_at", "resolved_at", "closed_at", "sla_snapshot", "first_response_due_at",
    "resolution_due_at", "ola_due_at", "sla_paused_at", "first_response_breached",
    "resolution_breached", "ola_breached",
)
COMMENT_FIELDS = ("id", "ticket_id", "author_id", "body", "internal", "channel", "created_at")
STINT_FIELDS = ("ticket_id", "team_id", "tier", "started_at", "ended_at", "seconds")
HOP_FIELDS = (
    "id", "ticket_id", "from_team_id", "to_team_id", "from_tier", "to_tier", "direction",
    "actor_id", "automatic", "note", "seconds_at_previous", "created_at",
)
TIMER_FIELDS = ("ticket_id", "kind", "due_at", "step")
PAIR_FIELDS = ("ticket_id", "user_id")
PARTICIPATION_FIELDS = (
    *PAIR_FIELDS, "ticket_team_id", "ticket_tier", "ticket_security", "ticket_open",
)
EVENT_FIELDS = (
    "chain", "seq", "ticket_id", "actor_id", "channel", "kind", "field", "before", "after",
    "note", "data", "created_at", "prev_hash", "hash",
)
HEAD_FIELDS = ("chain", "seq", "hash", "mac")
# fmt: on
