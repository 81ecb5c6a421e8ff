"""Signing in and out, password reset, and where "/" leads."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy

from tierdesk.web.access import is_staff
from tierdesk.web.forms import SignInForm

PORTAL = "/portal/"


def landing_for(user: object) -> str:
    """Staff land in the workspace, requesters in the portal."""
    return reverse("queue-mine") if is_staff(user) else PORTAL


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect(landing_for(request.user))


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        target = self.get_redirect_url()  # "" unless a safe ?next= was given
        if is_staff(self.request.user):
            return target or landing_for(self.request.user)
        return target if target.startswith(PORTAL) else PORTAL


class SignOutView(auth_views.LogoutView):
    next_page = "/login/"


class ResetView(auth_views.PasswordResetView):
    template_name = "web/password_reset_form.html"
    email_template_name = "web/password_reset_email.txt"
    subject_template_name = "web/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        # The link points at the configured address, never at a Host header a client sent.
        base = urlsplit(settings.BASE_URL)
        form.save(
            domain_override=base.netloc,
            use_https=base.scheme == "https",
            token_generator=self.token_generator,
            from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            request=self.request,
            extra_email_context={"site_name": "tierdesk"},
        )
        return HttpResponseRedirect(self.get_success_url())


class ResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/password_reset_done.html"


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/password_reset_complete.html"
