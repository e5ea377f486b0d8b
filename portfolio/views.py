"""Pages of the portfolio app: small typed views calling one selector or service."""

import base64
import csv
import logging
from copy import copy
from datetime import date
from functools import partial, wraps

import redis
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rules import has_perm

from gates.models import Criterion, Evidence, EvidenceStatus
from gates.services import evidence_review, evidence_submit, signoff_record
from portfolio import selectors, services
from portfolio.charts import dashboard_charts
from portfolio.editing import PARTS, Editing, Part, part_sections
from portfolio.exports import portfolio_csv_rows
from portfolio.forms import (
    DecisionForm,
    DeferralForm,
    EvidenceForm,
    EvidenceReviewForm,
    MetricForm,
    PartForm,
    PeriodForm,
    PilotFilterForm,
    PilotForm,
    RiskApprovalForm,
    SignOffForm,
    StageMoveForm,
    errors_from,
    submit,
)
from portfolio.models import Outcome, Pilot, RiskTier, Stage, SuccessMetric
from portfolio.rules import REFUSALS
from portfolio.selectors import (
    GATE_KEYS,
    SIGNALS,
    charter_missing_of,
    dashboard_figures,
    decisions_between,
    overdue_days,
    pilot_checklist,
    pilot_page_queryset,
    pilot_table,
    pilot_timeline,
    portfolio_export,
    stall_list,
    stall_signals_of,
)
from portfolio.services import EditConflict

logger = logging.getLogger(__name__)

PAGE_SIZE = 25

# The newest entries of a pilot's history its page shows; the rest on its history page.
TIMELINE_ON_PAGE = 30


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


def _stage_actions(user, pilot: Pilot) -> dict:
    """What the user may do to the pilot's stage now: the forms the stage panel shows."""
    can_decide = has_perm("portfolio.decide_pilot", user, pilot)
    moves = services.MANUAL_MOVES.get(pilot.stage, set())
    return {
        "moves": [
            (stage, MOVE_LABELS[stage])
            for stage in Stage
            if stage in moves and has_perm("portfolio.edit_pilot", user, pilot)
        ],
        "outcomes": [
            (outcome, outcome.label)
            for outcome in Outcome
            if can_decide and pilot.stage in services.DECISION_FROM[outcome]
        ],
        "can_defer": can_decide and pilot.stage == Stage.AWAITING_DECISION,
        "can_approve_risk": pilot.risk_tier == RiskTier.HIGH
        and pilot.stage == Stage.AWAITING_DECISION
        and has_perm("portfolio.approve_risk", user, pilot),
    }


# The button that makes each manual stage move.
MOVE_LABELS = {
    Stage.PILOTING: "Start the pilot",
    Stage.AWAITING_DECISION: "Mark awaiting decision",
    Stage.IN_PRODUCTION: "Mark live (in production)",
}


def _checklist(user, pilot: Pilot, failed: tuple | None = None) -> list:
    """The gate checklist with the forms the user may use on each criterion: fresh
    ones, except `failed` ((kind, object id), bound form) shown with its errors."""
    failed_key, failed_form = failed or (None, None)

    def form(kind: str, obj_id: int, form_class):
        return failed_form if failed_key == (kind, obj_id) else form_class(prefix=f"{kind}{obj_id}")

    can_edit = has_perm("portfolio.edit_pilot", user, pilot)
    checklist = pilot_checklist(pilot=pilot)
    for group in checklist:
        for item in group.items:
            criterion = item.criterion
            if can_edit:
                item.forms["evidence"] = form("evidence", criterion.id, EvidenceForm)
            if criterion.function and has_perm("gates.review_criterion", user, criterion):
                item.forms["signoff"] = form("signoff", criterion.id, SignOffForm)
            if has_perm("gates.review_evidence", user, criterion):
                for evidence in item.evidence:
                    if evidence.status == EvidenceStatus.PENDING:
                        evidence.review_form = form("review", evidence.id, EvidenceReviewForm)
    return checklist


def _pilot_page(
    request: HttpRequest,
    pilot_id: int,
    *,
    status: int = 200,
    done: str = "",
    partial: str = "stage-panel",
    editing: Editing | None = None,
    **forms,
) -> HttpResponse:
    """The pilot page, or only one of its panels (`partial`) for an htmx request, with
    the action forms given (bound, with their errors) or fresh ones, and the section
    `editing` names in edit mode."""
    as_of = timezone.localdate()
    pilot = _get_pilot_for_user(request, pilot_id, queryset=pilot_page_queryset(as_of=as_of))
    can_edit = has_perm("portfolio.edit_pilot", request.user, pilot)
    editing = editing or Editing("")
    context = {
        "pilot": pilot,
        "days_in_stage": pilot.days_in_stage(as_of),
        "actions": _stage_actions(request.user, pilot),
        "move_form": forms.get("move_form"),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "deferral_form": forms.get("deferral_form") or DeferralForm(),
        "risk_form": forms.get("risk_form") or RiskApprovalForm(),
        "done": done,
        "can_edit": can_edit,
        "editing": editing,
        "sections": part_sections(pilot, can_edit=can_edit, editing=editing),
    }
    htmx_panel = request.htmx and not request.htmx.history_restore_request
    if not htmx_panel or partial == "checklist":
        context["checklist"] = _checklist(request.user, pilot, forms.get("checklist_form"))
    metric = getattr(pilot, "success_metric", None)
    context.update(
        metric=metric,
        metric_form=_metric_form(pilot, editing) if can_edit else None,
        metric_editing=can_edit
        and (metric is None or bool(editing.kind == "metric" and editing.form)),
        charter_missing=charter_missing_of(pilot),
        signals=[SIGNALS[key] for key in stall_signals_of(pilot)],
        oob=htmx_panel,
    )
    if htmx_panel:
        if partial == "part-section":
            context["section"] = context["sections"][editing.kind]
        # htmx swaps only successful responses: a refusal comes back as 200, with errors.
        response = render(request, f"portfolio/pilot_detail.html#{partial}", context)
    else:
        timeline = pilot_timeline(pilot=pilot)
        context.update(timeline=timeline[:TIMELINE_ON_PAGE], timeline_total=len(timeline))
        response = render(request, "portfolio/pilot_detail.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _metric_form(pilot: Pilot, editing: Editing) -> MetricForm:
    if editing.kind == "metric" and editing.form is not None:
        return editing.form
    return MetricForm(instance=getattr(pilot, "success_metric", None), prefix="metric")


def _stage_action_done(
    request: HttpRequest,
    pilot_id: int,
    *,
    form_name: str,
    form,
    done: str,
    partial: str = "stage-panel",
    key: tuple | None = None,
) -> HttpResponse:
    """After an action on the page: with errors, the page again with them (400 without
    JavaScript); otherwise the panel for htmx, or a redirect with a message (PRG)."""
    if form.errors:
        failed = (key, form) if key else form  # a checklist form names its criterion
        return _pilot_page(request, pilot_id, status=400, partial=partial, **{form_name: failed})
    if request.htmx:
        return _pilot_page(request, pilot_id, done=done, partial=partial)
    messages.success(request, done)
    return redirect("pilot_detail", pilot_id=pilot_id)


@require_GET
@login_required
def pilot_detail(request: HttpRequest, pilot_id: int) -> HttpResponse:
    return _pilot_page(request, pilot_id)


@require_GET
@login_required
def pilot_history(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _get_pilot_for_user(request, pilot_id)
    context = {"pilot": pilot, "timeline": pilot_timeline(pilot=pilot)}
    return render(request, "portfolio/pilot_history.html", context)


@require_POST
@login_required
def pilot_move(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _get_pilot_for_user(request, pilot_id, perm="portfolio.edit_pilot")
    form = StageMoveForm(request.POST)
    submit(form, partial(services.pilot_stage_move, pilot=pilot, by=request.user))
    done = f"The pilot is now {pilot.get_stage_display().lower()}."
    return _stage_action_done(request, pilot_id, form_name="move_form", form=form, done=done)


@require_POST
@login_required
def pilot_decide(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _get_pilot_for_user(request, pilot_id, perm="portfolio.decide_pilot")
    form = DecisionForm(request.POST)
    submit(form, partial(services.decision_record, pilot=pilot, by=request.user))
    outcome = dict(Outcome.choices).get(form.cleaned_data.get("outcome"), "")
    done = f"Decision recorded: {outcome}."
    return _stage_action_done(request, pilot_id, form_name="decision_form", form=form, done=done)


@require_POST
@login_required
def pilot_defer(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _get_pilot_for_user(request, pilot_id, perm="portfolio.decide_pilot")
    form = DeferralForm(request.POST)
    submit(form, partial(services.decision_defer, pilot=pilot, by=request.user))
    done = "The decision is deferred; the deferral is recorded."
    return _stage_action_done(request, pilot_id, form_name="deferral_form", form=form, done=done)


@require_POST
@login_required
def pilot_risk_approve(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _get_pilot_for_user(request, pilot_id, perm="portfolio.approve_risk")
    form = RiskApprovalForm(request.POST)
    submit(form, partial(services.risk_approval_record, pilot=pilot, by=request.user))
    done = "Your risk approval is recorded."
    return _stage_action_done(request, pilot_id, form_name="risk_form", form=form, done=done)


def _require(request: HttpRequest, perm: str, obj, title: str) -> None:
    if not has_perm(perm, request.user, obj):
        action, why = REFUSALS[perm]
        raise PermissionDenied(f"You tried to {action} ({title}). {why}")


@require_POST
@login_required
def evidence_add(request: HttpRequest, pilot_id: int, criterion_id: int) -> HttpResponse:
    pilot = _get_pilot_for_user(request, pilot_id, perm="portfolio.edit_pilot")
    criterion = get_object_or_404(Criterion, pk=criterion_id)
    form = EvidenceForm(request.POST, request.FILES, prefix=f"evidence{criterion.id}")
    submit(form, partial(evidence_submit, pilot=pilot, criterion=criterion, by=request.user))
    return _stage_action_done(
        request,
        pilot_id,
        form_name="checklist_form",
        form=form,
        key=("evidence", criterion.id),
        done=f"Evidence recorded for: {criterion.text}",
        partial="checklist",
    )


@require_POST
@login_required
def evidence_review_record(request: HttpRequest, pilot_id: int, evidence_id: int) -> HttpResponse:
    pilot = _get_pilot_for_user(request, pilot_id)
    evidence = get_object_or_404(
        Evidence.objects.select_related("criterion"), pk=evidence_id, pilot=pilot
    )
    _require(request, "gates.review_evidence", evidence.criterion, pilot.title)
    form = EvidenceReviewForm(request.POST, prefix=f"review{evidence.id}")
    submit(
        form,
        lambda verdict, comment: evidence_review(
            evidence=evidence, by=request.user, accept=verdict == "accept", comment=comment
        ),
    )
    return _stage_action_done(
        request,
        pilot_id,
        form_name="checklist_form",
        form=form,
        key=("review", evidence.id),
        done=f"Your review is recorded for: {evidence.criterion.text}",
        partial="checklist",
    )


@require_POST
@login_required
def signoff_add(request: HttpRequest, pilot_id: int, criterion_id: int) -> HttpResponse:
    pilot = _get_pilot_for_user(request, pilot_id)
    criterion = get_object_or_404(Criterion, pk=criterion_id)
    _require(request, "gates.review_criterion", criterion, pilot.title)
    form = SignOffForm(request.POST, prefix=f"signoff{criterion.id}")
    submit(form, partial(signoff_record, pilot=pilot, criterion=criterion, by=request.user))
    return _stage_action_done(
        request,
        pilot_id,
        form_name="checklist_form",
        form=form,
        key=("signoff", criterion.id),
        done=f"Your verdict is recorded for: {criterion.text}",
        partial="checklist",
    )


@require_GET
@login_required
def evidence_file(request: HttpRequest, pilot_id: int, evidence_id: int) -> FileResponse:
    """An evidence file, to signed-in users only (never a public media URL), as a
    download so that the browser never renders it as a page."""
    pilot = _get_pilot_for_user(request, pilot_id)
    evidence = get_object_or_404(Evidence, pk=evidence_id, pilot=pilot)
    if not evidence.file:
        raise Http404("This evidence has no file.")
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.file_name)


# Proposing a pilot, and editing its charter and parts in place: each edit returns
# its section for htmx, or redirects back to the section of the page without it.


@require_http_methods(["GET", "POST"])
@login_required
def pilot_new(request: HttpRequest) -> HttpResponse:
    _require(request, "portfolio.add_pilot", None, "a new pilot")
    form = PilotForm(request.POST or None, initial={"deployment_owner": request.user})
    pilot = None
    if request.method == "POST":
        pilot = submit(
            form, lambda version, **changes: services.pilot_create(by=request.user, **changes)
        )
    if pilot is not None:
        messages.success(
            request, "The pilot is proposed. Its charter needs three answers before it starts."
        )
        return redirect("pilot_detail", pilot_id=pilot.id)
    status = 400 if form.errors else 200
    return render(request, "portfolio/pilot_new.html", {"form": form}, status=status)


def _save(form: PartForm, save) -> tuple[PartForm, str]:
    """Save the form's changes through `save(**changes)` (a service) if it is valid.

    Returns the form to show again and an error for the whole section: the same form
    with the service's errors; after a conflict, a fresh form with the current values
    and what the editor typed; when the record was removed meanwhile, the error.
    """
    if form.is_valid():
        try:
            save(version=form.version_seen(), **form.changes())
        except EditConflict as exc:
            if exc.current is None:
                return form, exc.messages[0]
            return form.after_conflict(exc.current), ""
        except ValidationError as exc:
            errors_from(form, exc)
    return form, ""


def _edit_done(
    request: HttpRequest,
    pilot_id: int,
    *,
    form: PartForm | None,
    editing: Editing,
    partial: str,
    done: str,
) -> HttpResponse:
    """After an edit: with errors or a conflict, the section again in edit mode (the
    page with 400 or 409 without JavaScript); otherwise the section for htmx, or a
    redirect to it with a message."""
    if editing.error or (form is not None and (form.errors or form.conflict)):
        status = 400 if form is not None and form.errors else 409
        editing.form = None if editing.error else form
        return _pilot_page(request, pilot_id, status=status, partial=partial, editing=editing)
    if request.htmx:
        return _pilot_page(
            request, pilot_id, partial=partial, editing=Editing(editing.kind, done=done)
        )
    messages.success(request, done)
    return redirect(reverse("pilot_detail", args=[pilot_id]) + f"#{_anchor(editing.kind)}")


def _anchor(kind: str) -> str:
    return f"{kind}-panel" if kind in ("charter", "metric") else f"part-{kind}"


def _part_of(kind: str) -> Part:
    part = PARTS.get(kind)
    if part is None:
        raise Http404("A pilot has no such part.")
    return part


@require_GET
@login_required
def pilot_section(request: HttpRequest, pilot_id: int, kind: str) -> HttpResponse:
    """A section of the pilot page as it is (an edit cancelled): the section for htmx,
    the page at the section otherwise."""
    if kind not in ("charter", "metric"):
        _part_of(kind)
    if not request.htmx:
        _get_pilot_for_user(request, pilot_id)
        return redirect(reverse("pilot_detail", args=[pilot_id]) + f"#{_anchor(kind)}")
    partial = {"charter": "charter-panel", "metric": "metric-panel"}.get(kind, "part-section")
    return _pilot_page(request, pilot_id, partial=partial, editing=Editing(kind))


@require_http_methods(["GET", "POST"])
@login_required
def charter_edit(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _get_pilot_for_user(request, pilot_id, perm="portfolio.edit_pilot")
    editing = Editing("charter")
    if request.method == "GET":
        editing.form = PilotForm(instance=pilot, prefix="charter")
        return _pilot_page(request, pilot_id, partial="charter-panel", editing=editing)
    form, editing.error = _save(
        PilotForm(request.POST, instance=copy(pilot), prefix="charter"),
        partial(services.pilot_update, pilot=pilot, by=request.user),
    )
    done = "The charter is saved."
    return _edit_done(
        request, pilot_id, form=form, editing=editing, partial="charter-panel", done=done
    )


@require_http_methods(["GET", "POST"])
@login_required
def metric_edit(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = _get_pilot_for_user(request, pilot_id, perm="portfolio.edit_pilot")
    metric = SuccessMetric.objects.filter(pilot=pilot).first()
    editing = Editing("metric")
    if request.method == "GET":
        editing.form = MetricForm(instance=metric, prefix="metric")
        return _pilot_page(request, pilot_id, partial="metric-panel", editing=editing)
    form, editing.error = _save(
        MetricForm(request.POST, instance=metric, prefix="metric"),
        partial(services.metric_set, pilot=pilot, by=request.user),
    )
    done = "The success metric is saved."
    return _edit_done(
        request, pilot_id, form=form, editing=editing, partial="metric-panel", done=done
    )


@require_POST
@login_required
def part_add(request: HttpRequest, pilot_id: int, kind: str) -> HttpResponse:
    part = _part_of(kind)
    pilot = _get_pilot_for_user(request, pilot_id, perm="portfolio.edit_pilot")
    form = part.form(request.POST, prefix=f"add-{kind}")
    editing = Editing(kind)
    form, editing.error = _save(
        form, lambda version, **changes: part.add(pilot=pilot, by=request.user, **changes)
    )
    done = f"The {part.noun} is added."
    return _edit_done(
        request, pilot_id, form=form, editing=editing, partial="part-section", done=done
    )


@require_http_methods(["GET", "POST"])
@login_required
def part_edit(request: HttpRequest, pilot_id: int, kind: str, part_id: int) -> HttpResponse:
    part = _part_of(kind)
    pilot = _get_pilot_for_user(request, pilot_id, perm="portfolio.edit_pilot")
    item = part.of(pilot).filter(pk=part_id).first()
    editing = Editing(kind, part_id=part_id)
    if item is None:
        editing.error = f"This {part.noun} was removed meanwhile."
        return _edit_done(
            request, pilot_id, form=None, editing=editing, partial="part-section", done=""
        )
    prefix = f"{kind}{part_id}"
    if request.method == "GET":
        editing.form = part.form(instance=item, prefix=prefix)
        return _pilot_page(request, pilot_id, partial="part-section", editing=editing)
    form, editing.error = _save(
        part.form(request.POST, instance=copy(item), prefix=prefix),
        partial(services.pilot_part_update, pilot=pilot, part=item, by=request.user),
    )
    done = f"The {part.noun} is saved."
    return _edit_done(
        request, pilot_id, form=form, editing=editing, partial="part-section", done=done
    )


@require_POST
@login_required
def part_remove(request: HttpRequest, pilot_id: int, kind: str, part_id: int) -> HttpResponse:
    part = _part_of(kind)
    pilot = _get_pilot_for_user(request, pilot_id, perm="portfolio.edit_pilot")
    item = part.of(pilot).filter(pk=part_id).first()
    editing = Editing(kind)
    if item is None:
        editing.error = f"This {part.noun} was removed meanwhile."
    else:
        try:
            services.pilot_part_remove(
                pilot=pilot, part=item, by=request.user, version=request.POST.get("version", "")
            )
        except ValidationError as exc:
            editing.error = " ".join(exc.messages)
            if isinstance(exc, EditConflict) and exc.current is not None:
                editing.error = (
                    f"Someone else changed this {part.noun} meanwhile, so it was not removed. "
                    "Here it is as it is now."
                )
    done = f"The {part.noun} is removed."
    return _edit_done(
        request, pilot_id, form=None, editing=editing, partial="part-section", done=done
    )


@require_GET
@login_required
def my_pilots(request: HttpRequest) -> HttpResponse:
    as_of = timezone.localdate()
    rows = selectors.my_pilots(user=request.user, as_of=as_of)
    context = {
        "rows": rows,
        "as_of": as_of,
        "can_propose": has_perm("portfolio.add_pilot", request.user),
    }
    return render(request, "portfolio/my_pilots.html", context)


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
