"""What a stage-gate decision rests on: each gate's state with its open criteria and
objections, what a Scale still needs (`scale_gaps`, the one definition the service
refuses by and the decision brief shows), the version of that state a decision form
is shown for, and the snapshot each decision keeps of it."""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from gates.models import Gate, SignOff, Verdict
from gates.selectors import (
    accepted_of,
    criteria_of_versions,
    criterion_met,
    verdict_as_of,
    version_id_of,
)
from portfolio.models import (
    ConditionDecision,
    CostPhase,
    Pilot,
    Waiver,
)


@dataclass
class GateState:
    """One gate of one pilot as a decision maker sees it."""

    gate: Gate
    status: str  # a gates.models.Readiness value, derived from the criteria
    met: int
    required: int
    open_criteria: list[str] = field(default_factory=list)
    objections: list[SignOff] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.gate.number}. {self.gate.name}"


def pilot_gate_states(pilot: Pilot) -> list[GateState]:
    """The gates that apply to the pilot's risk tier under its checklist version, each
    with the required criteria not met (evidence and sign-offs valid today) and the
    open objections. Four queries."""
    version_id = version_id_of(pilot)
    criteria = [
        criterion
        for criterion in criteria_of_versions({version_id}).get(version_id, [])
        if criterion.applies_to(pilot.risk_tier)
    ]
    accepted = accepted_of([pilot.id])[pilot.id]
    latest: dict[str, SignOff] = {}
    for signoff in (
        SignOff.objects.filter(pilot=pilot).select_related("signed_by", "criterion").order_by("id")
    ):
        latest[signoff.criterion.key] = signoff  # sign-offs are appended: the latest counts
    today = timezone.localdate()
    verdicts = {
        key: verdict_as_of(signoff.verdict, signoff.valid_until, today)
        for key, signoff in latest.items()
    }
    states: dict[int, GateState] = {}
    for criterion in criteria:
        state = states.setdefault(
            criterion.gate_id, GateState(gate=criterion.gate, status="", met=0, required=0)
        )
        signoff = latest.get(criterion.key)
        if signoff is not None and signoff.verdict == Verdict.OBJECTED:
            signoff.criterion = criterion
            state.objections.append(signoff)
        if not criterion.required:
            continue
        state.required += 1
        if criterion_met(criterion, accepted=accepted, verdicts=verdicts):
            state.met += 1
        else:
            state.open_criteria.append(criterion.text)
    for state in states.values():
        state.status = (
            "blocked" if state.objections else "passed" if not state.open_criteria else "open"
        )
    return list(states.values())


@dataclass(frozen=True)
class WaiverNeed:
    """A gate a Scale may only pass with a waiver: an open gate, or one open objection
    of a blocked gate (which only an executive may waive, naming it)."""

    gate: Gate
    objection: SignOff | None
    open_criteria: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"objection-{self.objection.id}" if self.objection else f"gate-{self.gate.id}"

    @property
    def label(self) -> str:
        gate = f"{self.gate.number}. {self.gate.name}"
        if self.objection is None:
            return f"{gate}: {len(self.open_criteria)} required criteria not met"
        return (
            f"{gate}: the {self.objection.get_function_display()} objection to "
            f"“{self.objection.criterion.text}”"
        )


@dataclass(frozen=True)
class ScaleGaps:
    """What a Scale still needs: waivers (or the criteria met, or the objections
    signed off) and the close-out answers."""

    waivers: list[WaiverNeed]
    close_out: list[str]

    def missing(self, *, waived: set[str] = frozenset()) -> list[str]:
        """Every gap in words, but the waivers given (`waived`: their keys)."""
        gaps = []
        for need in self.waivers:
            if need.key in waived:
                continue
            if need.objection is None:
                gaps.append(f"gate {need.label}: meet them or record a waiver")
            else:
                gaps.append(
                    f"gate {need.label}: the {need.objection.get_function_display()} "
                    "sign-off, or an executive's waiver naming the objection"
                )
        return gaps + self.close_out

    def __bool__(self) -> bool:
        return bool(self.waivers or self.close_out)


def scale_gaps(pilot: Pilot, *, gates: list[GateState] | None = None) -> ScaleGaps:
    """What a Scale of the pilot still needs (docs/domain.md, "What a Scale needs").
    Reads the pilot's conditions and KPIs through their managers: prefetched on the
    pilot page, fresh from the database for the service's locked copy."""
    gates = pilot_gate_states(pilot) if gates is None else gates
    needs = []
    for state in gates:
        if state.objections:
            needs += [
                WaiverNeed(state.gate, objection, tuple(state.open_criteria))
                for objection in state.objections
            ]
        elif state.open_criteria:
            needs.append(WaiverNeed(state.gate, None, tuple(state.open_criteria)))
    return ScaleGaps(waivers=needs, close_out=close_out_gaps(pilot))


def close_out_gaps(pilot: Pilot) -> list[str]:
    """The close-out questions a Scale needs answered, as the gaps still open."""
    gaps = []
    undecided = [
        condition.description
        for condition in pilot.conditions.all()
        if condition.decision == ConditionDecision.UNDECIDED
    ]
    if undecided:
        gaps.append(
            "every pilot condition made permanent or withdrawn (undecided: "
            + "; ".join(undecided)
            + ")"
        )
    if not any(kpi.horizon_months for kpi in pilot.production_kpis.all()):
        gaps.append("at least one production KPI with its time horizon")
    if pilot.delivery_owner_id is None:
        gaps.append("a named delivery owner")
    return gaps


def decision_version(pilot: Pilot) -> str:
    """A fingerprint of what a decision form is shown for: the stage and its date, the
    latest decision, the gate statuses and the latest sign-off. A decision posted with
    another version was taken on a pilot that changed meanwhile."""
    statuses = sorted(
        (status.gate_id, status.status, status.criteria_met) for status in pilot.gate_statuses.all()
    )
    values = [
        pilot.stage,
        str(pilot.stage_entered_on),
        max((decision.id for decision in pilot.decisions.all()), default=None),
        SignOff.objects.filter(pilot=pilot).aggregate(latest=Max("id"))["latest"],
        statuses,
    ]
    return hashlib.blake2b(json.dumps(values).encode(), digest_size=8).hexdigest()


def metric_summary(pilot: Pilot) -> dict | None:
    """The success metric, its baseline and target, and its latest reading."""
    metric = getattr(pilot, "success_metric", None)
    if metric is None:
        return None
    readings = list(metric.readings.all())
    latest = readings[-1] if readings else None
    reached = None
    if latest is not None and metric.target is not None:
        reached = (
            latest.value >= metric.target
            if metric.direction == "increase"
            else latest.value <= metric.target
        )
    return {
        "name": metric.name,
        "unit": metric.unit,
        "direction": metric.direction,
        "baseline": _text(metric.baseline),
        "target": _text(metric.target),
        "latest": None
        if latest is None
        else {"value": _text(latest.value), "measured_on": latest.measured_on.isoformat()},
        "target_reached": reached,
    }


def cost_totals(pilot: Pilot) -> dict[str, dict[str, str]]:
    """The pilot's costs by phase and currency: {"pilot": {"EUR": "1200.00"}, ...}."""
    sums: dict[str, dict[str, Decimal]] = {phase.value: {} for phase in CostPhase}
    for line in pilot.cost_lines.all():
        by_currency = sums[line.phase]
        by_currency[line.currency] = by_currency.get(line.currency, Decimal(0)) + line.amount
    return {
        phase: {currency: _text(total) for currency, total in sorted(by_currency.items())}
        for phase, by_currency in sums.items()
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def waiver_summary(waiver: Waiver) -> dict:
    return {
        "gate": f"{waiver.gate.number}. {waiver.gate.name}",
        "objection": None
        if waiver.objection_id is None
        else f"{waiver.objection.get_function_display()}: {waiver.objection.criterion.text}",
        "waived_by": str(waiver.waived_by),
        "reason": waiver.reason,
        "condition": waiver.condition,
        "owner": str(waiver.owner),
        "due_on": waiver.due_on.isoformat(),
    }


def decision_snapshot(
    pilot: Pilot, *, gates: list[GateState], waivers: list[Waiver], as_of: date
) -> dict:
    """What the decision maker saw as they decided, as plain JSON-ready values."""
    by_decision = defaultdict(list)
    for condition in pilot.conditions.all():
        by_decision[condition.decision].append(
            {"kind": condition.kind, "description": condition.description}
        )
    return {
        "as_of": as_of.isoformat(),
        "stage": pilot.stage,
        "risk_tier": pilot.risk_tier,
        "checklist_version": pilot.checklist_version.number if pilot.checklist_version else None,
        "gates": [
            {
                "gate": state.label,
                "status": state.status,
                "criteria_met": state.met,
                "criteria_required": state.required,
                "open_criteria": state.open_criteria,
            }
            for state in gates
        ],
        "objections": [
            {
                "gate": state.label,
                "criterion": objection.criterion.text,
                "function": objection.get_function_display(),
                "by": str(objection.signed_by),
                "comment": objection.comment,
            }
            for state in gates
            for objection in state.objections
        ],
        "metric": metric_summary(pilot),
        "costs": cost_totals(pilot),
        "conditions": {key: by_decision.get(key, []) for key in ConditionDecision.values},
        "waivers": [waiver_summary(waiver) for waiver in waivers],
    }
