"""The executive dashboard and the board report."""

from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import push_url
from rules import has_perm

from portfolio.charts import dashboard_charts
from portfolio.forms import (
    AsOfForm,
    PeriodForm,
    PilotFilterForm,
)
from portfolio.models import Pilot
from portfolio.report_pdf import board_report_pdf_bytes
from portfolio.selectors.as_of_table import pilots_as_of, stall_rows
from portfolio.selectors.dashboard import pilot_table, stop_decisions
from portfolio.selectors.history import kept, past_version, portfolio_version
from portfolio.selectors.kept import (
    PastDay,
    dashboard_figures_kept,
    stall_ids_kept,
    stop_count_kept,
)
from portfolio.selectors.period import board_period
from portfolio.selectors.stalls import stall_list, stall_row
from portfolio.selectors.trends import last_months, portfolio_over_time
from portfolio.trend_charts import trend_charts

PAGE_SIZE = 25
DEFAULT_SORT = "title"
STOPS_PAGE_SIZE = 10
# The filters shown without opening "More filters".
MAIN_FILTERS = ("q", "stage", "business_unit", "state")


def _stall_rows(pilots: list[Pilot], as_of: date) -> list[dict]:
    return [stall_row(pilot, as_of=as_of) for pilot in pilots]


def _past_page(request: HttpRequest, filters: dict, as_of: date, past: tuple):
    """The figures, the table's page and the stall rows as of a past day."""
    day = PastDay(as_of=as_of, past=past)
    given = request.GET.get("page", "")
    number = int(given) if given.isdigit() else 1  # as `get_page` reads it
    count, shown, rows = day.table_page(filters=filters, number=number, per_page=PAGE_SIZE)
    page = Page(pilots_as_of(rows), shown, Paginator(range(count), PAGE_SIZE))
    return day.figures(), page, stall_rows(day.stall_order())


def _over_time_html(as_of: date, past: tuple) -> str:
    """The trends of the twelve months up to `as_of` and the cohorts, rendered once per
    change of the portfolio's past (`past_version`) and kept: they are the same for
    everyone, and drawing them costs more than reading them."""
    start, end = last_months(as_of)

    def render_section() -> str:
        over_time = portfolio_over_time(start=start, end=end, as_of=as_of, version=past)
        context = {"trends": trend_charts(over_time["points"]), "cohorts": over_time["cohorts"]}
        return render_to_string("portfolio/_dashboard_over_time.html", context)

    return kept(("over-time-section", start, end, as_of), render_section, version=past)


def _clean_query(request: HttpRequest) -> str | None:
    """The query string without its empty parameters (nor the default sort), or None
    when it has none: a shared link carries only the filters in force."""
    pairs = list(request.GET.lists())
    given = [
        (key, value)
        for key, values in pairs
        for value in values
        if value and (key, value) != ("sort", DEFAULT_SORT)
    ]
    if len(given) == sum(len(values) for _, values in pairs):
        return None
    return urlencode(given)


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
    as_of_form = AsOfForm(request.GET or None)
    as_of = as_of_form.day()
    form = PilotFilterForm(request.GET or None)
    in_the_past = as_of < timezone.localdate()
    table_only = request.htmx and not request.htmx.history_restore_request
    # Read once for all that is kept: the past's (and today's figures', below).
    past = past_version() if in_the_past or not table_only else ()
    if in_the_past:
        figures, page, stalls = _past_page(request, form.filters(), as_of, past)
    else:
        figures = stalls = None
        pilots = Paginator(pilot_table(as_of=as_of, **form.filters()), PAGE_SIZE)
        page = pilots.get_page(request.GET.get("page"))
    main_filters, more_filters, more_open = _filter_fields(form)
    context = {
        "form": form,
        "main_filters": main_filters,
        "more_filters": more_filters,
        "more_open": more_open,
        "as_of_form": as_of_form,
        "as_of_query": f"as_of={as_of.isoformat()}&" if in_the_past else "",
        "in_the_past": in_the_past,
        "page": page,
        "rows": [(pilot, pilot.days_in_stage(as_of)) for pilot in page],
        "can_propose": has_perm("portfolio.add_pilot", request.user),
    }
    if table_only:
        response = render(request, "portfolio/dashboard.html#pilot-table", context)
        if clean is not None:
            response = push_url(response, f"{request.path}?{clean}" if clean else request.path)
    else:
        version = portfolio_version(past)
        figures = figures or dashboard_figures_kept(as_of=as_of, version=version)
        context["figures"], context["charts"] = (
            figures,
            dashboard_charts(figures, query=context["as_of_query"]),
        )
        if stalls is None:
            ids = stall_ids_kept(as_of=as_of, version=version)
            stalls = _stall_rows(stall_list(as_of=as_of, ids=ids), as_of)
        context["stalls"] = stalls
        context["over_time"] = _over_time_html(as_of, past)
        stops = Paginator(stop_decisions(as_of=as_of if in_the_past else None), STOPS_PAGE_SIZE)
        stops.count = stop_count_kept(as_of=as_of, in_the_past=in_the_past, past=past)
        context["stops"] = stops.get_page(request.GET.get("stops"))
        response = render(request, "portfolio/dashboard.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _report(request: HttpRequest) -> tuple[PeriodForm, dict]:
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    report = board_period(start=start, end=end)
    report["trends"] = trend_charts(report["points"])
    return form, report


@require_GET
@login_required
def board_report(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    query = urlencode({"start": report["start"].isoformat(), "end": report["end"].isoformat()})
    return render(
        request,
        "portfolio/board_report.html",
        {
            "form": form,
            "pdf_query": query,
            "end_is_today": report["end"] >= timezone.localdate(),
            **report,
        },
    )


@require_GET
@login_required
def board_report_pdf(request: HttpRequest) -> HttpResponse:
    """The board report of the period as a PDF, drawn on the server from the same
    figures as the page."""
    form, report = _report(request)
    name = f"board-report-{report['start']:%Y-%m-%d}-{report['end']:%Y-%m-%d}.pdf"
    response = HttpResponse(board_report_pdf_bytes(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
