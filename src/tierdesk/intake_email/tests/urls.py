"""URLs for the attachment API tests: the real API, plus the attachment routes mounted the
way the API root is asked to mount them (``api.add_router("/tickets", router)``) for as
long as it does not yet."""

from __future__ import annotations

from django.urls import path
from ninja import NinjaAPI

from tierdesk import api as root
from tierdesk.core.errors import DomainError
from tierdesk.intake_email.api import router
from tierdesk.urls import urlpatterns as main_patterns

mounted = any(attached is router for _prefix, attached in root.api._routers)
if mounted:
    urlpatterns = list(main_patterns)
else:
    attachments_api = NinjaAPI(auth=root.BearerToken(), urls_namespace="api-v1-attachments")
    attachments_api.add_exception_handler(DomainError, root.domain_error)
    attachments_api.add_exception_handler(root.NinjaValidationError, root.validation_error)
    attachments_api.add_exception_handler(root.AuthenticationError, root.unauthenticated)
    attachments_api.add_exception_handler(root.HttpError, root.http_error)
    attachments_api.add_router("/tickets", router)
    urlpatterns = [path("api/v1/", attachments_api.urls), *main_patterns]
