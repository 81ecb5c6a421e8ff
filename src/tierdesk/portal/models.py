from __future__ import annotations

from django.conf import settings
from django.db import models


class SignInLink(models.Model):
    """A one-time sign-in link mailed to a requester.

    Only a SHA-256 of the random secret is stored: a copy of the database cannot be used to
    sign anyone in. A link is dead once ``used_at`` is set or ``expires_at`` has passed.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_sign_in_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "created_at"], name="sign_in_link_by_user"),
            models.Index(fields=["expires_at"], name="sign_in_link_expiry"),
        ]


class SignInRequest(models.Model):
    """One request for a sign-in link, known address or not, kept briefly for rate limiting.

    ``address_digest`` is a keyed hash of the normalised address, so the table is not a list
    of the addresses people typed.
    """

    address_digest = models.CharField(max_length=64)
    requested_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["address_digest", "requested_at"], name="sign_in_request_lookup"),
            models.Index(fields=["requested_at"], name="sign_in_request_age"),
        ]
