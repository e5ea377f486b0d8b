"""The executive dashboard and the board report."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from rules import has_perm

from gates.models import GATE_KEYS
from portfolio.charts import dashboard_charts
from portfolio.forms import (
    PeriodForm,
    PilotFilterForm,
)
from portfolio.models import Pilot
from portfolio.selectors.dashboard import dashboard_figures, decisions_between, pilot_table
from portfolio.selectors.stalls import stall_list, stall_row

PAGE_SIZE = 25


def _stall_rows(pilots: list[Pilot], as_of: date) -> list[dict]:
    return [stall_row(pilot, as_of=as_of) for pilot in pilots]


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
        "can_propose": has_perm("portfolio.add_pilot", request.user),
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
