"""The portfolio as exported: one row per pilot with its figures, for CSV and JSON."""

from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from gates.models import (
    GATE_KEYS,
    GateStatus,
)
from portfolio.models import CostLine, CostPhase, Decision, Pilot, Stage, Waiver
from portfolio.selectors.charter import charter_missing_of, with_charter
from portfolio.selectors.stalls import stall_signals_of, with_stall_state


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
        pilots.select_related("business_unit", "deployment_owner", "checklist_version")
        .annotate(
            cost_pilot=_cost_total(CostPhase.PILOT),
            cost_transition=_cost_total(CostPhase.TRANSITION),
            cost_run=_cost_total(CostPhase.RUN),
        )
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("decided_by")
                .prefetch_related(
                    Prefetch(
                        "waivers",
                        queryset=Waiver.objects.select_related("gate", "owner").order_by("id"),
                    )
                )
                .order_by("decided_on", "id"),
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
        "checklist_version": pilot.checklist_version.number if pilot.checklist_version else "",
        "readiness_lapsed": pilot.readiness_lapsed and pilot.stage == Stage.IN_PRODUCTION,
        "gates": {key: gates.get(key, "") for key in GATE_KEYS},
        "decisions": [
            {
                "outcome": decision.outcome,
                "decided_on": decision.decided_on.isoformat(),
                "decided_by": decision.decided_by.email,
                "rationale": decision.rationale,
                "conditions": decision.conditions,
                "waivers": [
                    {
                        "gate": waiver.gate.key,
                        "reason": waiver.reason,
                        "condition": waiver.condition,
                        "owner": waiver.owner.email,
                        "due_on": waiver.due_on.isoformat(),
                        "closed_on": waiver.closed_on.isoformat() if waiver.closed_on else None,
                    }
                    for waiver in decision.waivers.all()
                ],
                "snapshot": decision.snapshot,
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
