"""Settings for the `tierdesk smtp` subprocess test: the real ones with the outbox mail
backend, as settings.py is asked to select it."""

from tierdesk.settings import *  # noqa: F403

EMAIL_BACKEND = "tierdesk.notifications.backends.OutboxEmailBackend"
