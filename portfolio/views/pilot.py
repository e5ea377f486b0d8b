"""The pilot page and its stage panel: moves, decisions, deferrals and risk approval."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms import Form
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from rules import has_perm

from gates.forms import checklist_with_forms
from portfolio.charts import metric_chart
from portfolio.editing import Editing, part_sections
from portfolio.forms import (
    DecisionForm,
    DeferralForm,
    MetricForm,
    RiskApprovalForm,
    StageMoveForm,
)
from portfolio.lib.forms import submit
from portfolio.models import Outcome, Pilot, RiskTier, Stage
from portfolio.rules import pilot_for_user
from portfolio.selectors.brief import decision_brief, decision_state, pilot_waivers
from portfolio.selectors.charter import charter_missing_of
from portfolio.selectors.decisions import metric_summary
from portfolio.selectors.pilot_page import pilot_page_queryset
from portfolio.selectors.post_launch import PostLaunchValue
from portfolio.selectors.stalls import SIGNALS, stall_signals_of
from portfolio.selectors.timeline import pilot_timeline
from portfolio.services.decisions import STALE_MESSAGE
from portfolio.services.lifecycle import (
    decision_defer,
    decision_record,
    pilot_stage_move,
    risk_approval_record,
)
from portfolio.stages import MOVE_LABELS, OUTCOME_STAGE, manual_moves_from, outcomes_from

# The newest entries of a pilot's history its page shows; the rest on its history page.
TIMELINE_ON_PAGE = 30


def _stage_actions(user, pilot: Pilot) -> dict:
    """What the user may do to the pilot's stage now: the forms the stage panel shows."""
    can_decide = has_perm("portfolio.decide_pilot", user, pilot)
    can_move = has_perm("portfolio.edit_pilot", user, pilot)
    return {
        "moves": [
            (stage, MOVE_LABELS[stage]) for stage in manual_moves_from(pilot.stage) if can_move
        ],
        "outcomes": [
            (outcome, outcome.label, Stage(OUTCOME_STAGE[outcome]).label)
            for outcome in outcomes_from(pilot.stage)
            if can_decide
        ],
        "can_defer": can_decide and pilot.stage == Stage.AWAITING_DECISION,
        # The one-click move of the decision-due banner: the same move, the same rule.
        "can_move_to_decision": Stage.AWAITING_DECISION in manual_moves_from(pilot.stage)
        and can_move,
        "can_approve_risk": pilot.risk_tier == RiskTier.HIGH
        and pilot.stage == Stage.AWAITING_DECISION
        and has_perm("portfolio.approve_risk", user, pilot),
    }


def _pilot_page(
    request: HttpRequest,
    pilot_id: int,
    *,
    status: int = 200,
    done: str = "",
    panel: str = "stage",
    editing: Editing | None = None,
    htmx_status: bool = False,
    **forms,
) -> HttpResponse:
    """The pilot page, or for an htmx request only one of its panels (`panel`, a
    template of templates/portfolio/pilot/), with the action forms given (bound, with
    their errors) or fresh ones, and the section `editing` names in edit mode. An htmx
    panel answers 200 unless `htmx_status` (the stage panel swaps a 400 or 409 too)."""
    as_of = timezone.localdate()
    pilot = pilot_for_user(request.user, pilot_id, queryset=pilot_page_queryset(as_of=as_of))
    can_edit = has_perm("portfolio.edit_pilot", request.user, pilot)
    editing = editing or Editing("")
    actions = _stage_actions(request.user, pilot)
    context = {
        "pilot": pilot,
        "days_in_stage": pilot.days_in_stage(as_of),
        "actions": actions,
        "stage_on_top": pilot.stage == Stage.AWAITING_DECISION or any(actions.values()),
        "move_form": forms.get("move_form"),
        **_decision_context(pilot, actions, as_of=as_of, forms=forms),
        "deferral_form": forms.get("deferral_form") or DeferralForm(),
        "risk_form": forms.get("risk_form") or RiskApprovalForm(),
        "done": done,
        "can_edit": can_edit,
        "editing": editing,
        "sections": part_sections(pilot, can_edit=can_edit, editing=editing),
    }
    htmx_panel = request.htmx and not request.htmx.history_restore_request
    if not htmx_panel:
        context["checklist"] = checklist_with_forms(
            request.user, pilot, open_gate=request.GET.get("open", "")
        )
    context.update(_metric_context(pilot, editing, can_edit=can_edit), oob=htmx_panel)
    if htmx_panel:
        if panel == "part_section":
            context["section"] = context["sections"][editing.kind]
        # htmx swaps only successful responses: a refusal comes back as 200, with errors.
        response = render(
            request, f"portfolio/pilot/{panel}.html", context, status=status if htmx_status else 200
        )
    else:
        timeline = pilot_timeline(pilot=pilot)
        context.update(timeline=timeline[:TIMELINE_ON_PAGE], timeline_total=len(timeline))
        response = render(request, "portfolio/pilot_detail.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _metric_context(pilot: Pilot, editing: Editing, *, can_edit: bool) -> dict:
    """The metric panel's and the page head's part of the context."""
    metric = getattr(pilot, "success_metric", None)
    return {
        "metric": metric,
        "metric_form": _metric_form(pilot, editing) if can_edit else None,
        "metric_editing": can_edit
        and (metric is None or bool(editing.kind == "metric" and editing.form)),
        "charter_missing": charter_missing_of(pilot),
        "post_launch": PostLaunchValue(pilot.post_launch_value).label
        if pilot.post_launch_value
        else "",
        "signals": [SIGNALS[key] for key in stall_signals_of(pilot)],
    }


def _decision_context(
    pilot: Pilot,
    actions: dict,
    *,
    as_of: date,
    forms: dict,
) -> dict:
    """The decision brief, the pilot's waivers, and the decision form: the one given
    (`decision_form`, with its errors), else a fresh one for the pilot as it is now
    (after a stale post, `decision_stale`: the refusal and what was typed)."""
    form, stale = forms.get("decision_form"), forms.get("decision_stale")
    waivers = pilot_waivers(pilot)
    context = {
        "waivers": waivers,
        "overdue_waivers": [waiver for waiver in waivers if waiver.is_overdue(as_of)],
        "brief": None,
        "decision_form": form,
        "decision_stale": stale[0] if stale else "",
    }
    if not actions["outcomes"] and pilot.stage != Stage.AWAITING_DECISION:
        return context
    state = decision_state(pilot)
    context["brief"] = decision_brief(pilot, state=state, as_of=as_of)
    metric = getattr(pilot, "success_metric", None)
    if context["brief"] and metric is not None:
        context["brief"]["metric"] = metric_summary(pilot)
        context["brief"]["chart"] = metric_chart(
            [(r.measured_on, r.value) for r in metric.readings.all()],
            baseline=metric.baseline,
            target=metric.target,
        )
    if form is None:
        initial = {**(stale[1] if stale else {}), "stage": pilot.stage, "version": state.version}
        context["decision_form"] = DecisionForm(needs=state.gaps.waivers, initial=initial)
    return context


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
    panel: str = "stage",
) -> HttpResponse:
    """After an action on the page: with errors, the page again with them (400 without
    JavaScript); otherwise the panel for htmx, or a redirect with a message (PRG)."""
    if form.errors:
        return _pilot_page(request, pilot_id, status=400, panel=panel, **{form_name: form})
    if request.htmx:
        return _pilot_page(request, pilot_id, done=done, panel=panel)
    messages.success(request, done)
    return redirect("pilot_detail", pilot_id=pilot_id)


@require_GET
@login_required
def pilot_detail(request: HttpRequest, pilot_id: int) -> HttpResponse:
    return _pilot_page(request, pilot_id)


@require_GET
@login_required
def pilot_history(request: HttpRequest, pilot_id: int) -> HttpResponse:
    pilot = pilot_for_user(request.user, pilot_id)
    context = {
        "pilot": pilot,
        "timeline": pilot_timeline(pilot=pilot),
        "decisions": pilot.decisions.select_related("decided_by").order_by("-id"),
    }
    return render(request, "portfolio/pilot_history.html", context)


@dataclass(frozen=True)
class StageAction:
    """One action of the stage panel: who may, its form, the service it runs, and
    what the person is told once it is done."""

    perm: str
    form_class: type[Form]
    service: Callable
    form_name: str
    done: Callable[[Pilot, Form], str]


STAGE_ACTIONS = {
    "move": StageAction(
        "portfolio.edit_pilot",
        StageMoveForm,
        pilot_stage_move,
        "move_form",
        lambda pilot, form: f"The pilot is now {pilot.get_stage_display().lower()}.",
    ),
    "defer": StageAction(
        "portfolio.decide_pilot",
        DeferralForm,
        decision_defer,
        "deferral_form",
        lambda pilot, form: "The decision is deferred; the deferral is recorded.",
    ),
    "approve_risk": StageAction(
        "portfolio.approve_risk",
        RiskApprovalForm,
        risk_approval_record,
        "risk_form",
        lambda pilot, form: "Your risk approval is recorded.",
    ),
}


def _stage_action(request: HttpRequest, pilot_id: int, name: str) -> HttpResponse:
    """Check the action's permission, run its service with the posted form, answer."""
    action = STAGE_ACTIONS[name]
    pilot = pilot_for_user(request.user, pilot_id, perm=action.perm)
    form = action.form_class(request.POST)
    submit(form, partial(action.service, pilot=pilot, by=request.user))
    done = action.done(pilot, form)
    return _stage_action_done(request, pilot_id, form_name=action.form_name, form=form, done=done)


@require_POST
@login_required
def pilot_move(request: HttpRequest, pilot_id: int) -> HttpResponse:
    return _stage_action(request, pilot_id, "move")


@require_POST
@login_required
def pilot_decide(request: HttpRequest, pilot_id: int) -> HttpResponse:
    """Record a stage-gate decision. A refusal comes back in the page or the stage
    panel: 400 with what is missing, 409 with the pilot as it is now when it changed
    since the form was shown (and a fresh form keeping what was typed)."""
    pilot = pilot_for_user(request.user, pilot_id, perm="portfolio.decide_pilot")
    form = DecisionForm(request.POST, needs=decision_state(pilot).gaps.waivers)
    submit(form, partial(decision_record, pilot=pilot, by=request.user))
    if form.has_error(NON_FIELD_ERRORS, code="conflict"):
        typed = {name: form.data.get(name, "") for name in ("outcome", "rationale", "conditions")}
        return _pilot_page(
            request,
            pilot_id,
            status=409,
            htmx_status=True,
            decision_stale=(STALE_MESSAGE, typed),
        )
    if form.errors:
        return _pilot_page(request, pilot_id, status=400, htmx_status=True, decision_form=form)
    outcome = Outcome(form.cleaned_data["outcome"])
    return _stage_action_done(
        request,
        pilot_id,
        form_name="decision_form",
        form=form,
        done=f"Decision recorded: {outcome.label}; the pilot is now "
        f"{Stage(OUTCOME_STAGE[outcome]).label.lower()}.",
    )


@require_POST
@login_required
def pilot_defer(request: HttpRequest, pilot_id: int) -> HttpResponse:
    return _stage_action(request, pilot_id, "defer")


@require_POST
@login_required
def pilot_risk_approve(request: HttpRequest, pilot_id: int) -> HttpResponse:
    return _stage_action(request, pilot_id, "approve_risk")
