from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    """Access roles: what a person may see and do. Orthogonal to their job title."""

    REQUESTER = "requester", "Requester"
    AGENT = "agent", "Agent"
    TEAM_LEAD = "team_lead", "Team lead"
    INCIDENT_MANAGER = "incident_manager", "Incident manager"
    IT_MANAGER = "it_manager", "IT manager"
    CIO = "cio", "CIO/CTO"
    ADMIN = "admin", "Administrator"
    AUDITOR = "auditor", "Auditor"


STAFF_ROLES = frozenset(Role) - {Role.REQUESTER}
MANAGEMENT_ROLES = frozenset({Role.INCIDENT_MANAGER, Role.IT_MANAGER, Role.CIO})


class RoleTitle(models.TextChoices):
    """Job titles in a tiered IT organisation, shown on the org chart."""

    TECHNICIAN = "technician", "Technician"
    CUSTOMER_SERVICE_ENGINEER = "customer_service_engineer", "Customer service engineer"
    SYSTEM_SPECIALIST = "system_specialist", "System specialist"
    APPLICATION_SPECIALIST = "application_specialist", "Application specialist"
    TECHNICAL_EXPERT = "technical_expert", "Technical expert"
    ARCHITECT = "architect", "Architect"
    DEVELOPER = "developer", "Developer"
    DESIGNER = "designer", "Designer"
    NETWORK_ENGINEER = "network_engineer", "Network engineer"
    SYSTEM_ADMINISTRATOR = "system_administrator", "System administrator"
    CLOUD_ENGINEER = "cloud_engineer", "Cloud engineer"
    OPERATIONAL_ANALYST = "operational_analyst", "Operational analyst"
    MONITORING_SPECIALIST = "monitoring_specialist", "Monitoring specialist"
    SECURITY_ANALYST = "security_analyst", "Security analyst"
    DATABASE_ADMINISTRATOR = "database_administrator", "Database administrator"
    TEAM_LEAD = "team_lead", "Team lead"
    INCIDENT_MANAGER = "incident_manager", "Incident manager"
    IT_MANAGER = "it_manager", "IT manager"
    CIO = "cio", "CIO/CTO"
    REQUESTER = "requester", "Requester"


# The columns ``User.display_name`` reads: all a page that only names people loads of them.
PERSON_NAME = ("username", "first_name", "last_name")
# What a ticket or its timeline shows of a person: the name, the address, and whether they
# are staff (requesters may not see agents' names).
PERSON_CARD = (*PERSON_NAME, "email", "role")


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.REQUESTER)
    role_title = models.CharField(max_length=40, choices=RoleTitle.choices, blank=True)
    skills = models.JSONField(default=list, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    on_shift = models.BooleanField(default=True)
    phone = models.CharField(max_length=40, blank=True, db_index=True)
    language = models.CharField(max_length=16, blank=True)
    organisation = models.ForeignKey(
        "org.RequesterOrganisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    # Set by the org file; a person created by a channel (mail, phone) keeps managed=False
    # so that `org apply` never deletes requesters it did not create.
    managed_by_org_file = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(Lower("email"), name="user_email_lower")]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES


class ApiToken(models.Model):
    """A bearer token. Only a SHA-256 of the secret is stored: tokens are random, not passwords."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
