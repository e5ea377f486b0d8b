"""Pages of the portfolio app: small typed views calling one selector or service."""

import base64
import csv
from datetime import date
from functools import wraps

from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from portfolio.charts import dashboard_charts
from portfolio.exports import portfolio_csv_rows
from portfolio.forms import PeriodForm, PilotFilterForm
from portfolio.models import Pilot
from portfolio.selectors import (
    GATE_KEYS,
    SIGNALS,
    charter_missing_of,
    dashboard_figures,
    decisions_between,
    overdue_days,
    pilot_page_queryset,
    pilot_table,
    portfolio_export,
    stall_list,
    stall_signals_of,
)

PAGE_SIZE = 25


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
    pilot = get_object_or_404(pilot_page_queryset(as_of=timezone.localdate()), pk=pilot_id)
    return render(
        request,
        "portfolio/pilot_detail.html",
        {
            "pilot": pilot,
            "days_in_stage": pilot.days_in_stage(timezone.localdate()),
            "charter_missing": charter_missing_of(pilot),
            "signals": [SIGNALS[key] for key in stall_signals_of(pilot)],
        },
    )
