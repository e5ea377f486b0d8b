"""Reads that carry rules: charter completeness, stall state and the portfolio export.

Each is a set-based query (annotations and aggregates), so its number of queries
does not grow with the number of pilots.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from gates.models import GateKind, GateStatus, Readiness, SignOff, Verdict
from portfolio.models import (
    OPEN_STAGES,
    CostLine,
    CostPhase,
    Decision,
    Deferral,
    PathItem,
    Pilot,
    Stage,
    SuccessMetric,
)

# The charter's three questions, as the refusal to start a pilot names them.
CHARTER_QUESTIONS = {
    "has_owner": "who is accountable for deployment (a named deployment owner)",
    "has_metric": "what success looks like (a success metric with baseline and target)",
    "has_path": "the path to production (at least one path-to-production item)",
}

# The five warning signals of a stalling deployment (DOMAIN.md, "Stalls").
SIGNALS = {
    "deferred_decision": "Decision deferred twice or more",
    "conflicting_objections": "Open objections from two or more functions",
    "organisational_gates_open": "Technical gates pass, organisational gates do not",
    "almost_ready_too_long": "Almost ready for too long",
    "no_decision_maker": "Nobody named to make the final call",
}

GATE_KEYS = ["ownership", "data", "integration", "value", "adoption", "governance"]


def _flag(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def with_charter(queryset: QuerySet[Pilot]) -> QuerySet[Pilot]:
    """Annotate `has_owner`, `has_metric`, `has_path`: the charter's three answers."""
    return queryset.annotate(
        has_owner=_flag(Q(deployment_owner__isnull=False)),
        has_metric=Exists(
            SuccessMetric.objects.filter(
                pilot=OuterRef("pk"), baseline__isnull=False, target__isnull=False
            ).exclude(name="")
        ),
        has_path=Exists(PathItem.objects.filter(pilot=OuterRef("pk"))),
    )


def charter_missing_of(pilot: Pilot) -> list[str]:
    """The unanswered charter questions of a pilot annotated by `with_charter`."""
    return [text for flag, text in CHARTER_QUESTIONS.items() if not getattr(pilot, flag)]


def pilot_charter_missing(*, pilot: Pilot) -> list[str]:
    return charter_missing_of(with_charter(Pilot.objects.filter(pk=pilot.pk)).get())


def with_stall_state(queryset: QuerySet[Pilot], *, as_of: date) -> QuerySet[Pilot]:
    """Annotate the stall state of each pilot as of a date.

    `is_stalled`: awaiting decision for MORE than STALL_AFTER_DAYS days, with no
    decision since it entered that stage. `is_drifting`: still piloting past its
    planned end. One boolean per warning signal, named `signal_<key>` (see SIGNALS).
    """
    entered_before = as_of - timedelta(days=settings.STALL_AFTER_DAYS)
    is_open = Q(stage__in=OPEN_STAGES)
    waiting_too_long = Q(stage=Stage.AWAITING_DECISION, stage_entered_on__lt=entered_before)
    decided_since_entry = Decision.objects.filter(
        pilot=OuterRef("pk"),
        decided_on__gte=OuterRef("stage_entered_on"),
        decided_on__lte=as_of,
    )
    deferrals_since_entry = (
        Deferral.objects.filter(
            pilot=OuterRef("pk"),
            deferred_on__gte=OuterRef("stage_entered_on"),
            deferred_on__lte=as_of,
        )
        .order_by()
        .values("pilot")
        .annotate(n=Count("id"))
        .values("n")
    )
    # An objection is open while no later sign-off on that criterion supersedes it.
    superseded = SignOff.objects.filter(
        pilot=OuterRef("pilot"), criterion=OuterRef("criterion"), id__gt=OuterRef("id")
    )
    objecting_functions = (
        SignOff.objects.filter(pilot=OuterRef("pk"), verdict=Verdict.OBJECTED)
        .exclude(Exists(superseded))
        .order_by()
        .values("pilot")
        .annotate(n=Count("function", distinct=True))
        .values("n")
    )
    unsettled = [Readiness.OPEN, Readiness.BLOCKED]
    return queryset.annotate(
        deferral_count=Coalesce(Subquery(deferrals_since_entry), 0, output_field=IntegerField()),
        objecting_function_count=Coalesce(
            Subquery(objecting_functions), 0, output_field=IntegerField()
        ),
        organisational_unsettled=Exists(
            GateStatus.objects.filter(
                pilot=OuterRef("pk"), gate__kind=GateKind.ORGANISATIONAL, status__in=unsettled
            )
        ),
        technical_unsettled=Exists(
            GateStatus.objects.filter(
                pilot=OuterRef("pk"), gate__kind=GateKind.TECHNICAL, status__in=unsettled
            )
        ),
        decided_since_entry=Exists(decided_since_entry),
    ).annotate(
        is_stalled=_flag(waiting_too_long & Q(decided_since_entry=False)),
        is_drifting=_flag(Q(stage=Stage.PILOTING, pilot_end_planned__lt=as_of)),
        signal_deferred_decision=_flag(Q(stage=Stage.AWAITING_DECISION, deferral_count__gte=2)),
        signal_conflicting_objections=_flag(is_open & Q(objecting_function_count__gte=2)),
        signal_organisational_gates_open=_flag(
            is_open & Q(organisational_unsettled=True, technical_unsettled=False)
        ),
        signal_almost_ready_too_long=_flag(waiting_too_long),
        signal_no_decision_maker=_flag(
            is_open & Q(deployment_owner__isnull=True, decision_maker__isnull=True)
        ),
    )


def stall_signals_of(pilot: Pilot) -> list[str]:
    """The keys of the signals a pilot annotated by `with_stall_state` shows."""
    return [key for key in SIGNALS if getattr(pilot, f"signal_{key}")]


def _cost_total(phase: str) -> Coalesce:
    total = (
        CostLine.objects.filter(pilot=OuterRef("pk"), phase=phase)
        .order_by()
        .values("pilot")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(
        Subquery(total),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def export_queryset(*, as_of: date) -> QuerySet[Pilot]:
    """Every pilot with what the export shows of it, in a fixed number of queries."""
    pilots = with_stall_state(with_charter(Pilot.objects.all()), as_of=as_of)
    return (
        pilots.select_related("business_unit", "deployment_owner")
        .annotate(
            cost_pilot=_cost_total(CostPhase.PILOT),
            cost_transition=_cost_total(CostPhase.TRANSITION),
            cost_run=_cost_total(CostPhase.RUN),
        )
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("decided_by").order_by("decided_on", "id"),
            ),
            Prefetch("gate_statuses", queryset=GateStatus.objects.select_related("gate")),
        )
        .order_by("business_unit__name", "title", "id")
    )


def portfolio_summary(*, as_of: date) -> dict:
    pilots = with_stall_state(Pilot.objects.all(), as_of=as_of)
    counts = pilots.aggregate(
        total=Count("id"),
        stalled=Count("id", filter=Q(is_stalled=True)),
        drifting=Count("id", filter=Q(is_drifting=True)),
    )
    by_stage = dict(Pilot.objects.order_by().values_list("stage").annotate(n=Count("id")))
    costs = dict(CostLine.objects.order_by().values_list("phase").annotate(total=Sum("amount")))
    return {
        **counts,
        "by_stage": {stage: by_stage.get(stage, 0) for stage in Stage.values},
        "cost": {phase: f"{costs.get(phase, Decimal(0)):.2f}" for phase in CostPhase.values},
    }


def pilot_export_row(pilot: Pilot, *, as_of: date) -> dict:
    """One pilot of `export_queryset` as plain data."""
    gates = {status.gate.key: status.status for status in pilot.gate_statuses.all()}
    return {
        "reference": pilot.reference or "",
        "title": pilot.title,
        "business_unit": pilot.business_unit.name,
        "stage": pilot.stage,
        "stage_entered_on": pilot.stage_entered_on.isoformat(),
        "deployment_owner": pilot.deployment_owner.email if pilot.deployment_owner else "",
        "risk_tier": pilot.risk_tier,
        "pilot_start": pilot.pilot_start.isoformat() if pilot.pilot_start else "",
        "pilot_end_planned": pilot.pilot_end_planned.isoformat() if pilot.pilot_end_planned else "",
        "go_live_on": pilot.go_live_on.isoformat() if pilot.go_live_on else "",
        "charter_missing": charter_missing_of(pilot),
        "stalled": pilot.is_stalled,
        "drifting": pilot.is_drifting,
        "days_in_stage": pilot.days_in_stage(as_of),
        "stall_signals": stall_signals_of(pilot),
        "gates": {key: gates.get(key, "") for key in GATE_KEYS},
        "decisions": [
            {
                "outcome": decision.outcome,
                "decided_on": decision.decided_on.isoformat(),
                "decided_by": decision.decided_by.email,
                "rationale": decision.rationale,
                "conditions": decision.conditions,
            }
            for decision in pilot.decisions.all()
        ],
        "cost": {
            "pilot": f"{pilot.cost_pilot:.2f}",
            "transition": f"{pilot.cost_transition:.2f}",
            "run": f"{pilot.cost_run:.2f}",
        },
    }


def portfolio_export(*, as_of: date) -> dict:
    return {
        "as_of": as_of.isoformat(),
        "summary": portfolio_summary(as_of=as_of),
        "pilots": [pilot_export_row(p, as_of=as_of) for p in export_queryset(as_of=as_of)],
    }
