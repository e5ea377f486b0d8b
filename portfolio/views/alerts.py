"""The pages behind an alert email's signed links: unsubscribe and snooze."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from portfolio.services.alert_links import (
    digest_opt_out,
    snooze_create,
    snooze_token_check,
    unsubscribe_token_check,
)

# The links work without signing in: each client address may open so many a minute.
limited = ratelimit(key="ip", rate=settings.ALERT_LINK_RATE, method=ratelimit.ALL, block=False)
TOO_MANY = "Too many requests from your address; wait a minute and try again."


# RFC 8058: mail systems POST the one-click unsubscribe without a CSRF token; the
# signed link is what proves who unsubscribes.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@limited
def alerts_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.limited:
        return render(request, "alerts/unsubscribe.html", {"error": TOO_MANY}, status=429)
    try:
        user = unsubscribe_token_check(token=token)
    except ValidationError as exc:
        return render(request, "alerts/unsubscribe.html", {"error": exc.messages[0]}, status=400)
    if request.method == "POST":
        digest_opt_out(user=user)
    return render(
        request, "alerts/unsubscribe.html", {"recipient": user, "done": request.method == "POST"}
    )


@require_http_methods(["GET", "POST"])
@limited
def alerts_snooze(request: HttpRequest, token: str) -> HttpResponse:
    if request.limited:
        return render(request, "alerts/snooze.html", {"error": TOO_MANY}, status=429)
    try:
        owner, pilot = snooze_token_check(token=token)
    except ValidationError as exc:
        return render(request, "alerts/snooze.html", {"error": exc.messages[0]}, status=400)
    context = {"owner": owner, "pilot": pilot, "values": request.POST, "errors": {}}
    if request.method == "POST":
        try:
            until = parse_date(request.POST.get("until", ""))
        except ValueError:  # well formed but impossible, e.g. 2026-02-30
            until = None
        try:
            context["snooze"] = snooze_create(
                pilot=pilot, by=owner, reason=request.POST.get("reason", ""), until=until
            )
        except PermissionDenied as exc:
            return render(request, "alerts/snooze.html", {"error": str(exc)}, status=403)
        except ValidationError as exc:
            context["errors"] = {
                "other" if name == NON_FIELD_ERRORS else name: " ".join(messages)
                for name, messages in exc.message_dict.items()
            }
            return render(request, "alerts/snooze.html", context, status=400)
    return render(request, "alerts/snooze.html", context)
