"""Signing requesters in with a one-time link by mail."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from tierdesk.accounts.models import Role
from tierdesk.portal import signin
from tierdesk.portal.forms import SignInForm
from tierdesk.portal.views.common import WORKSPACE_URL

PASSWORD_LOGIN_URL = "/login/"


def _next(request: HttpRequest) -> str:
    target = request.GET.get("next") or ""
    if target.startswith("/portal/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:home")


def _signed_in_elsewhere(request: HttpRequest) -> HttpResponse | None:
    user = request.user
    if not user.is_authenticated:
        return None
    if getattr(user, "role", None) == Role.REQUESTER:
        return redirect(_next(request))
    return redirect(WORKSPACE_URL)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for an address; every address gets the same answer (no account enumeration)."""
    if (elsewhere := _signed_in_elsewhere(request)) is not None:
        return elsewhere
    form = SignInForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            signin.request_link(form.cleaned_data["email"])
        except signin.RateLimited as refused:
            form.add_error("email", refused.message)
            status = refused.http_status
        else:
            return redirect("portal:sign-in-sent")
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "portal/sign_in.html",
        {
            "form": form,
            "password_url": f"{PASSWORD_LOGIN_URL}?{urlencode({'next': _next(request)})}",
        },
        status=status,
    )


@never_cache
@require_GET
def sign_in_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/sign_in_sent.html",
        {"minutes": int(signin.LINK_LIFETIME.total_seconds() // 60)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_link(request: HttpRequest, secret: str) -> HttpResponse:
    """GET only shows a button: mail scanners that fetch links must not use them up."""
    if request.method == "GET":
        if signin.is_live(secret):
            return render(request, "portal/sign_in_confirm.html")
        return _dead_link(request)
    try:
        user = signin.redeem(secret)
    except signin.LinkNotValid:
        return _dead_link(request)
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    return redirect("portal:home")


def _dead_link(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/sign_in_dead.html",
        {"message": signin.LinkNotValid().message, "form": SignInForm()},
        status=signin.LinkNotValid.http_status,
    )
