"""Commands on people: creating users from the CLI, the org file and the mail channel."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import password_changed, validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from tierdesk.accounts.models import Role, User
from tierdesk.accounts.selectors import username_taken
from tierdesk.core.errors import Conflict, InvalidInput
from tierdesk.core.rows import insert_many, insert_one
from tierdesk.org.models import Membership, RequesterOrganisation, Team


def create_user(
    username: str,
    *,
    email: str,
    role: str,
    teams: list[str] | None = None,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    organisation: RequesterOrganisation | None = None,
) -> User:
    username = username.strip()
    if (
        not username
        or len(username) > 150
        or not all(c.isalnum() or c in "@.+-_" for c in username)
    ):
        raise InvalidInput(
            "username: letters, digits and @.+-_ only, at most 150", field="username"
        )
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"email: {email!r} is not an email address", field="email") from None
    if role not in Role.values:
        raise InvalidInput(f"role: {role!r} is not one of {', '.join(Role.values)}", field="role")
    slugs = list(dict.fromkeys(teams or []))
    # A requester from a mail or a call names no team: no query to build for nothing.
    found = {t.slug: t for t in Team.objects.filter(slug__in=slugs)} if slugs else {}
    missing = [s for s in slugs if s not in found]
    if missing:
        raise InvalidInput(f"team: no team {', '.join(map(repr, missing))}", field="team")
    with transaction.atomic():
        if username_taken(username):
            raise Conflict(f"a user named {username!r} already exists", field="username")
        user = User(
            username=username,
            email=email.lower(),
            role=role,
            first_name=first_name,
            last_name=last_name,
            organisation=organisation,
        )
        if password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise InvalidInput(
                    "password: " + " ".join(exc.messages), field="password"
                ) from None
            user.password = make_password(password)
        else:
            user.set_unusable_password()
        insert_one(user)
        if password:
            # What AbstractBaseUser.save would tell the password validators.
            password_changed(password, user)
        if slugs:
            insert_many([Membership(user=user, team=found[s]) for s in slugs])
    return user
