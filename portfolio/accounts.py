"""Password reset by email: Django's views, with two changes.

- The link in the email is built on SITE_URL, never on the Host header of the request
  (which whoever asks for the reset chooses).
- Users without a password yet get the email too: owners created by an import or by
  `add_user` without `--password` set their first password this way (Django's form
  leaves them out).
"""

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views

from portfolio.models import User


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
