"""The emails Pilotgate sends: one small function per email, each rendered from three
templates in templates/emails/: <name>-subject.txt, <name>-body.txt, <name>-body.html.

Links in emails are absolute, built on the SITE_URL setting by the helpers below.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def pilot_url(pilot_id: int) -> str:
    """The one place that builds a link to a pilot's page."""
    return absolute_url(reverse("pilot_detail", args=[pilot_id]))


def dashboard_url() -> str:
    return absolute_url(reverse("dashboard"))


def make_message(
    name: str, to: str, ctx: dict, headers: dict | None = None, connection=None
) -> EmailMultiAlternatives:
    ctx = {**ctx, "site_url": settings.SITE_URL}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", ctx).split())
    text = render_to_string(f"emails/{name}-body.txt", ctx)
    html = render_to_string(f"emails/{name}-body.html", ctx)
    message = EmailMultiAlternatives(
        subject, text, to=[to], headers=headers or {}, connection=connection
    )
    message.attach_alternative(html, "text/html")
    return message


def send(
    name: str, to: str, ctx: dict, headers: dict | None = None, connection=None
) -> EmailMultiAlternatives:
    """Send now, in this process; an SMTP error reaches the caller, which retries."""
    message = make_message(name, to, ctx, headers, connection)
    message.send()
    return message


def owner_alert(to: str, ctx: dict, headers: dict | None = None, connection=None):
    return send("owner-alert", to, ctx, headers, connection)


def executive_digest(to: str, ctx: dict, headers: dict | None = None, connection=None):
    return send("executive-digest", to, ctx, headers, connection)


def decision_due(to: str, ctx: dict, headers: dict | None = None, connection=None):
    return send("decision-due", to, ctx, headers, connection)
