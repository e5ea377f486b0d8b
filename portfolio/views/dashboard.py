"""The executive dashboard and the board report."""

from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import push_url
from rules import has_perm

from portfolio.charts import dashboard_charts
from portfolio.forms import (
    PeriodForm,
    PilotFilterForm,
)
from portfolio.models import Pilot
from portfolio.selectors.dashboard import (
    dashboard_figures,
    decisions_between,
    pilot_table,
    stop_decisions,
)
from portfolio.selectors.stalls import stall_list, stall_row

PAGE_SIZE = 25
DEFAULT_SORT = "title"
STOPS_PAGE_SIZE = 10
# The filters shown without opening "More filters".
MAIN_FILTERS = ("q", "stage", "business_unit", "state")


def _stall_rows(pilots: list[Pilot], as_of: date) -> list[dict]:
    return [stall_row(pilot, as_of=as_of) for pilot in pilots]


def _clean_query(request: HttpRequest) -> str | None:
    """The query string without its empty parameters (nor the default sort), or None
    when it has none: a shared link carries only the filters in force."""
    pairs = list(request.GET.lists())
    kept = [
        (key, value)
        for key, values in pairs
        for value in values
        if value and (key, value) != ("sort", DEFAULT_SORT)
    ]
    if len(kept) == sum(len(values) for _, values in pairs):
        return None
    return urlencode(kept)


def _filter_fields(form: PilotFilterForm) -> tuple[list, list, bool]:
    """The filter fields shown at once, those behind "More filters", and whether one
    of the latter is in force (the section then opens)."""
    main = [form[name] for name in MAIN_FILTERS]
    more = [field for field in form if field.name not in MAIN_FILTERS]
    return main, more, any(field.value() for field in more if field.name != "sort")


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    clean = _clean_query(request)
    if clean is not None and not request.htmx:
        return HttpResponseRedirect(f"{request.path}?{clean}" if clean else request.path)
    if clean is not None:  # an htmx form sends its empty fields: the links leave them out
        request.GET = QueryDict(clean)
    as_of = timezone.localdate()
    form = PilotFilterForm(request.GET or None)
    pilots = Paginator(pilot_table(as_of=as_of, **form.filters()), PAGE_SIZE)
    page = pilots.get_page(request.GET.get("page"))
    main_filters, more_filters, more_open = _filter_fields(form)
    context = {
        "form": form,
        "main_filters": main_filters,
        "more_filters": more_filters,
        "more_open": more_open,
        "page": page,
        "rows": [(pilot, pilot.days_in_stage(as_of)) for pilot in page],
        "can_propose": has_perm("portfolio.add_pilot", request.user),
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "portfolio/dashboard.html#pilot-table", context)
        if clean is not None:
            response = push_url(response, f"{request.path}?{clean}" if clean else request.path)
    else:
        figures = dashboard_figures(as_of=as_of)
        context["figures"], context["charts"] = figures, dashboard_charts(figures)
        context["stalls"] = _stall_rows(stall_list(as_of=as_of, limit=10), as_of)
        stops = Paginator(stop_decisions(), STOPS_PAGE_SIZE)
        context["stops"] = stops.get_page(request.GET.get("stops"))
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
