"""The decision brief: what the pilot page opens with while the pilot awaits its
decision, for every reader. What a Scale still needs is `scale_gaps`, the same
function the decision service refuses by."""

from dataclasses import dataclass
from datetime import date

from portfolio.models import ConditionDecision, Outcome, Pilot, Stage, Waiver
from portfolio.selectors.decisions import (
    GateState,
    ScaleGaps,
    cost_totals,
    decision_version,
    pilot_gate_states,
    scale_gaps,
)


@dataclass
class DecisionState:
    """A pilot's decision-relevant state, read once for the brief and the form."""

    gates: list[GateState]
    gaps: ScaleGaps
    version: str


def decision_state(pilot: Pilot) -> DecisionState:
    """The gates and what a Scale needs only while one may be taken (awaiting
    decision); the version always."""
    if pilot.stage != Stage.AWAITING_DECISION:
        return DecisionState(gates=[], gaps=ScaleGaps([], []), version=decision_version(pilot))
    gates = pilot_gate_states(pilot)
    return DecisionState(
        gates=gates, gaps=scale_gaps(pilot, gates=gates), version=decision_version(pilot)
    )


def decision_brief(pilot: Pilot, *, state: DecisionState, as_of: date) -> dict | None:
    """The brief of a pilot awaiting decision; None otherwise. Uses the parts the
    pilot page prefetches (readings, KPIs, conditions, deferrals)."""
    if pilot.stage != Stage.AWAITING_DECISION:
        return None
    conditions = list(pilot.conditions.all())
    return {
        "days_waiting": pilot.days_in_stage(as_of),
        "deferrals": [d for d in pilot.deferrals.all() if d.deferred_on >= pilot.stage_entered_on],
        "gates": state.gates,
        "missing": state.gaps.missing(),
        "conditions": conditions,
        "undecided": [c for c in conditions if c.decision == ConditionDecision.UNDECIDED],
        "kpis": list(pilot.production_kpis.all()),
        "costs": cost_totals(pilot),
    }


def pilot_waivers(pilot: Pilot) -> list[Waiver]:
    """The pilot's waivers with their gate, objection and people, oldest first (none
    without a Scale among its decisions, prefetched on the pilot page)."""
    if not any(decision.outcome == Outcome.SCALE for decision in pilot.decisions.all()):
        return []
    return list(
        Waiver.objects.filter(pilot=pilot)
        .select_related("gate", "owner", "waived_by", "objection__criterion")
        .order_by("id")
    )
