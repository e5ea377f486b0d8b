"""Pages of the portfolio app: small typed views calling one selector or service."""

import base64
import csv
import logging
from datetime import date
from functools import wraps

import redis
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from rules import has_perm

from portfolio import selectors, services
from portfolio.charts import dashboard_charts
from portfolio.exports import portfolio_csv_rows
from portfolio.forms import PeriodForm, PilotFilterForm
from portfolio.models import Pilot
from portfolio.rules import REFUSALS
from portfolio.selectors import (
    GATE_KEYS,
    SIGNALS,
    charter_missing_of,
    dashboard_figures,
    decisions_between,
    overdue_days,
    pilot_page_queryset,
    pilot_table,
    pilot_timeline,
    portfolio_export,
    stall_list,
    stall_signals_of,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 25


def _get_pilot_for_user(
    request: HttpRequest,
    pilot_id: int,
    *,
    perm: str | None = None,
    queryset: QuerySet[Pilot] | None = None,
) -> Pilot:
    """The pilot `pilot_id` (from `queryset` when given) if the signed-in user may
    `perm` it, a permission of portfolio/rules.py. Without `perm`, reading: every
    signed-in user reads the whole portfolio.

    Raises Http404 when there is no such pilot, PermissionDenied (the 403 page, saying
    what was refused and why) when the user may not.
    """
    pilot = get_object_or_404(Pilot.objects.all() if queryset is None else queryset, pk=pilot_id)
    checks = ["portfolio.view_pilot"] + ([perm] if perm else [])
    for name in checks:
        if not has_perm(name, request.user, pilot):
            action, why = REFUSALS[name]
            raise PermissionDenied(f"You tried to {action} ({pilot.title}). {why}")
    return pilot


def _stall_rows(pilots: list[Pilot], as_of: date) -> list[dict]:
    return [
        {
            "pilot": pilot,
            "days": overdue_days(pilot, as_of=as_of),
            "signals": [SIGNALS[key] for key in stall_signals_of(pilot)],
        }
        for pilot in pilots
    ]


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    as_of = timezone.localdate()
    form = PilotFilterForm(request.GET or None)
    pilots = Paginator(pilot_table(as_of=as_of, **form.filters()), PAGE_SIZE)
    page = pilots.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [(pilot, pilot.days_in_stage(as_of)) for pilot in page],
        "gate_keys": GATE_KEYS,
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "portfolio/dashboard.html#pilot-table", context)
    else:
        figures = dashboard_figures(as_of=as_of)
        context["figures"], context["charts"] = figures, dashboard_charts(figures)
        context["stalls"] = _stall_rows(stall_list(as_of=as_of, limit=10), as_of)
        response = render(request, "portfolio/dashboard.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


@require_GET
@login_required
def pilots_csv(request: HttpRequest) -> StreamingHttpResponse:
    filters = PilotFilterForm(request.GET or None).filters()
    filters.pop("sort")
    writer = csv.writer(_Echo())
    rows = portfolio_csv_rows(as_of=timezone.localdate(), filters=filters)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="pilots.csv"'
    return response


def login_or_basic_auth(view):
    """A signed-in session, or HTTP Basic credentials (email and password) for tools."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
            user = None
            if scheme.lower() == "basic":
                try:
                    email, _, password = base64.b64decode(credentials).decode().partition(":")
                    user = authenticate(request, username=email, password=password)
                except (ValueError, UnicodeDecodeError):
                    user = None
            if user is None:
                response = JsonResponse(
                    {"error": "Sign in, or send Basic credentials."}, status=401
                )
                response["WWW-Authenticate"] = 'Basic realm="Pilotgate", charset="UTF-8"'
                return response
            request.user = user
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@login_or_basic_auth
def export_json(request: HttpRequest) -> JsonResponse:
    as_of_text = request.GET.get("as_of", "")
    try:
        as_of = date.fromisoformat(as_of_text) if as_of_text else timezone.localdate()
    except ValueError:
        return JsonResponse(
            {"error": f"as_of: {as_of_text!r} is not a date (YYYY-MM-DD)"}, status=400
        )
    return JsonResponse(portfolio_export(as_of=as_of))


@require_GET
@login_required
def board_report(request: HttpRequest) -> HttpResponse:
    as_of = timezone.localdate()
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    stalls = stall_list(as_of=as_of, limit=None)
    return render(
        request,
        "portfolio/board_report.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "figures": dashboard_figures(as_of=as_of),
            "stalls": _stall_rows(stalls, as_of),
            "decisions": decisions_between(start=start, end=end),
        },
    )


@require_GET
@login_required
def pilot_detail(request: HttpRequest, pilot_id: int) -> HttpResponse:
    as_of = timezone.localdate()
    pilot = _get_pilot_for_user(request, pilot_id, queryset=pilot_page_queryset(as_of=as_of))
    return render(
        request,
        "portfolio/pilot_detail.html",
        {
            "pilot": pilot,
            "days_in_stage": pilot.days_in_stage(as_of),
            "charter_missing": charter_missing_of(pilot),
            "signals": [SIGNALS[key] for key in stall_signals_of(pilot)],
            "timeline": pilot_timeline(pilot=pilot),
        },
    )


@require_GET
@login_required
def my_pilots(request: HttpRequest) -> HttpResponse:
    as_of = timezone.localdate()
    rows = selectors.my_pilots(user=request.user, as_of=as_of)
    return render(request, "portfolio/my_pilots.html", {"rows": rows, "as_of": as_of})


# Health, and the pages behind the links in stall emails (signed links, no sign-in).


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("Health check: the database is unavailable")
        return "unavailable"
    return "ok"


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "in-process"
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        logger.warning("Health check: the broker at REDIS_URL is unavailable")
        return "unavailable"
    finally:
        client.close()
    return "ok"


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """503 only when the database is down: without the broker the pages still serve
    (the background jobs wait for it), so the status is "degraded", not down."""
    checks = {"database": _database_status(), "broker": _broker_status()}
    if checks["database"] != "ok":
        return JsonResponse({"status": "down", **checks}, status=503)
    healthy = checks["broker"] in ("ok", "in-process")
    return JsonResponse({"status": "ok" if healthy else "degraded", **checks})


# RFC 8058: mail systems POST the one-click unsubscribe without a CSRF token; the
# signed link is what proves who unsubscribes.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def alerts_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.unsubscribe_token_check(token=token)
    except ValidationError as exc:
        return render(request, "emails/unsubscribe.html", {"error": exc.messages[0]}, status=400)
    if request.method == "POST":
        services.digest_opt_out(user=user)
    return render(
        request, "emails/unsubscribe.html", {"user": user, "done": request.method == "POST"}
    )


@require_http_methods(["GET", "POST"])
def alerts_snooze(request: HttpRequest, token: str) -> HttpResponse:
    try:
        owner, pilot = services.snooze_token_check(token=token)
    except ValidationError as exc:
        return render(request, "emails/snooze.html", {"error": exc.messages[0]}, status=400)
    context = {"owner": owner, "pilot": pilot, "values": request.POST, "errors": {}}
    if request.method == "POST":
        try:
            until = parse_date(request.POST.get("until", ""))
        except ValueError:  # well formed but impossible, e.g. 2026-02-30
            until = None
        try:
            context["snooze"] = services.snooze_create(
                pilot=pilot, by=owner, reason=request.POST.get("reason", ""), until=until
            )
        except PermissionDenied as exc:
            return render(request, "emails/snooze.html", {"error": str(exc)}, status=403)
        except ValidationError as exc:
            context["errors"] = {
                "other" if name == NON_FIELD_ERRORS else name: " ".join(messages)
                for name, messages in exc.message_dict.items()
            }
            return render(request, "emails/snooze.html", context, status=400)
    return render(request, "emails/snooze.html", context)
