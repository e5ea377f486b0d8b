"""Signing in and password reset: the lock-out answer, and Django's password-reset
views with three changes.

- The link in the email is built on SITE_URL, never on the Host header of the request
  (which whoever asks for the reset chooses).
- Users without a password yet get the email too: owners created by an import or by
  `add_user` without `--password` set their first password this way (Django's form
  leaves them out).
- Requests are limited per target address and per client address: over the limit the
  person sees the same "check your inbox" page and nothing is sent, so the limit says
  nothing about which addresses have an account.
"""

import logging

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited

from portfolio.models import User

logger = logging.getLogger(__name__)

LOCKED_OUT = "Too many failed sign-ins: signing in is paused; try later."


def lockout_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    """What a locked-out client sees (django-axes' AXES_LOCKOUT_CALLABLE): JSON for the
    JSON export, the lock-out page otherwise; the same for every account, known or not."""
    if request.path.endswith(".json"):
        return JsonResponse({"error": LOCKED_OUT}, status=429)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"cooloff_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


class PasswordResetForm(auth_forms.PasswordResetForm):
    def get_users(self, email: str):
        # Emails are stored in lower case (UserManager, user_create).
        return User.objects.filter(email__iexact=email.strip(), is_active=True)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm

    @property
    def extra_email_context(self) -> dict:
        return {
            "site_url": settings.SITE_URL,
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        }

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        per_client = is_ratelimited(
            self.request,
            group="password-reset-client",
            key="ip",
            rate=settings.PASSWORD_RESET_RATE_PER_CLIENT,
            increment=True,
        )
        per_email = is_ratelimited(
            self.request,
            group="password-reset-email",
            key=lambda group, request: email,
            rate=settings.PASSWORD_RESET_RATE_PER_EMAIL,
            increment=True,
        )
        if per_client or per_email:
            logger.warning("Password reset not sent: the limit for this address is reached")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
