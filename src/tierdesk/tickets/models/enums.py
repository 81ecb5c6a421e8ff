from django.db import models


class TicketType(models.TextChoices):
    INCIDENT = "incident", "Incident"
    SERVICE_REQUEST = "service_request", "Service request"
    PROBLEM = "problem", "Problem"
    CHANGE = "change", "Change"
    SECURITY_INCIDENT = "security_incident", "Security incident"


class Status(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    WAITING_ON_THIRD_PARTY = "waiting_on_third_party", "Waiting on third party"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# Each status's label, looked up directly: get_status_display() rebuilds this table per call.
STATUS_LABELS: dict[str, str] = dict(Status.choices)

OPEN_STATUSES = (
    Status.NEW,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.WAITING_ON_CUSTOMER,
    Status.WAITING_ON_THIRD_PARTY,
)
FINAL_STATUSES = (Status.CLOSED, Status.CANCELLED)
# The open statuses as SQL literals, for statements that must spell out the WHERE of the
# partial indexes over open work: SQLite uses such an index only for a literal match.
OPEN_STATUSES_SQL = ", ".join(f"'{status}'" for status in OPEN_STATUSES)


class Level(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Priority(models.TextChoices):
    P1 = "P1", "P1 – critical"
    P2 = "P2", "P2 – high"
    P3 = "P3", "P3 – medium"
    P4 = "P4", "P4 – low"
    P5 = "P5", "P5 – planning"


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    PORTAL = "portal", "Portal"
    API = "api", "API"
    MONITORING = "monitoring", "Monitoring"
    WEB = "web", "Agent workspace"


class LinkKind(models.TextChoices):
    PARENT_OF = "parent_of", "Parent of"
    DUPLICATE_OF = "duplicate_of", "Duplicate of"
    RELATED = "related", "Related to"
    CAUSED_BY = "caused_by", "Caused by"
