"""The two reference cases of docs/domain.md, built through the real services.

Each case is a data file, `data/reference_cases/<name>.toml`, that says what happened to
the pilot; `reference_case_create` builds any of them one service call at a time, as a
user would, so the cases prove that the services agree with the story they tell.

The steps come in the order a pilot lives them: the pilot is proposed, its charter is
written, it pilots and is measured, it awaits a decision, its evidence is reviewed and
signed off, and its decision may be deferred. Dates count back from the day of loading.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from gates.models import Criterion, Verdict
from gates.services import evidence_review, evidence_submit, signoff_record
from portfolio.demo import prose
from portfolio.demo.criteria import (
    ALL_GATES,
    MET,
    NOTHING,
    OBJECTED,
    PENDING,
    REJECTED,
    criterion_texts,
)
from portfolio.demo.figures import at
from portfolio.demo.people import reviewer_key
from portfolio.models import (
    BusinessUnit,
    ConditionDecision,
    ConditionKind,
    CostCategory,
    CostPhase,
    Direction,
    KpiKind,
    PathKind,
    PathStatus,
    Pilot,
    RiskTier,
    Stage,
    User,
)
from portfolio.services.lifecycle import decision_defer, pilot_stage_move
from portfolio.services.parts import (
    condition_add,
    condition_decide,
    cost_line_add,
    kpi_add,
    metric_set,
    path_item_add,
    reading_add,
)
from portfolio.services.pilots import pilot_create

Case = dict[str, Any]  # one file of data/reference_cases/, as read by prose.load

CONTACT_CENTRE: str = prose.REFERENCE_CASES["contact_centre"]["pilot"]["title"]
FINANCE_ANOMALIES: str = prose.REFERENCE_CASES["finance_anomalies"]["pilot"]["title"]


@dataclass(frozen=True)
class _Step:
    """How one criterion of a reference case stands: outcome, evidence, comment."""

    outcome: str
    evidence: str = ""
    comment: str = ""


def reference_cases_create(
    *,
    people: dict[str, User],
    units: dict[str, BusinessUnit],
    criteria: dict[str, list[Criterion]],
    today: date,
) -> list[Pilot]:
    return [
        reference_case_create(case, people=people, units=units, criteria=criteria, today=today)
        for case in prose.REFERENCE_CASES.values()
    ]


def reference_case_create(
    case: Case,
    *,
    people: dict[str, User],
    units: dict[str, BusinessUnit],
    criteria: dict[str, list[Criterion]],
    today: date,
) -> Pilot:
    """Build one reference case, awaiting its stage-gate decision."""
    timeline = case["timeline"]
    awaiting_since = today - timedelta(days=timeline["awaiting_decision"])
    pilot_start = awaiting_since - timedelta(days=timeline["piloted"])
    pilot = _pilot_create(case, people=people, units=units, pilot_start=pilot_start)
    _charter_write(pilot, case, people=people)
    _stage_move(pilot, case, people=people, to_stage=Stage.PILOTING, on=pilot_start)
    for reading in case["readings"]:
        reading_add(
            pilot=pilot,
            measured_on=pilot_start + timedelta(weeks=reading["week"]),
            value=Decimal(reading["value"]),
        )
    _stage_move(pilot, case, people=people, to_stage=Stage.AWAITING_DECISION, on=awaiting_since)
    _gates_record(
        pilot,
        case,
        people=people,
        criteria=criteria,
        start=pilot_start + timedelta(days=timeline["evidence_from"]),
    )
    for deferral in case.get("deferrals", ()):
        decision_defer(
            pilot=pilot,
            by=people[deferral["by"]],
            on=today - timedelta(days=deferral["days_ago"]),
            reason=deferral["reason"],
        )
    return pilot


def _pilot_create(
    case: Case, *, people: dict[str, User], units: dict[str, BusinessUnit], pilot_start: date
) -> Pilot:
    record, timeline = case["pilot"], case["timeline"]
    return pilot_create(
        title=record["title"],
        business_unit=units[record["business_unit"]],
        by=people[record["created_by"]],
        stage_entered_on=pilot_start - timedelta(days=timeline["proposed"]),
        reference=record["reference"],
        summary=record["summary"],
        risk_tier=RiskTier(record["risk_tier"]),
        **{role: people[key] for role, key in case["roles"].items()},
        pilot_start=pilot_start,
        pilot_end_planned=pilot_start + timedelta(days=timeline["planned"]),
    )


def _charter_write(pilot: Pilot, case: Case, *, people: dict[str, User]) -> None:
    """The success metric, the path to production, the conditions, costs and KPIs."""
    metric = case["metric"]
    metric_set(
        pilot=pilot,
        name=metric["name"],
        unit=metric["unit"],
        baseline=Decimal(metric["baseline"]),
        target=Decimal(metric["target"]),
        direction=Direction(metric["direction"]),
    )
    for item in case["path_items"]:
        path_item_add(
            pilot=pilot,
            kind=PathKind(item["kind"]),
            description=item["description"],
            owner=people[item["owner"]] if "owner" in item else None,
            status=PathStatus(item.get("status", PathStatus.PLANNED)),
        )
    for record in case["conditions"]:
        condition = condition_add(
            pilot=pilot, kind=ConditionKind(record["kind"]), description=record["description"]
        )
        if "decision" in record:
            decision = ConditionDecision(record["decision"])
            condition_decide(condition=condition, decision=decision)
    for phase, amounts in case["costs"].items():
        for category, euros in amounts.items():
            cost_line_add(
                pilot=pilot,
                category=CostCategory(category),
                phase=CostPhase(phase),
                amount=Decimal(euros),
                note=prose.COST_NOTES["run"] if phase == CostPhase.RUN else "",
            )
    for kpi in case["kpis"]:
        kpi_add(pilot=pilot, **{**kpi, "kind": KpiKind(kpi["kind"])})


def _stage_move(
    pilot: Pilot, case: Case, *, people: dict[str, User], to_stage: str, on: date
) -> None:
    move = case["stage_moves"][to_stage]
    pilot_stage_move(
        pilot=pilot, to_stage=to_stage, by=people[move["by"]], on=on, reason=move["reason"]
    )


def _gates_record(
    pilot: Pilot,
    case: Case,
    *,
    people: dict[str, User],
    criteria: dict[str, list[Criterion]],
    start: date,
) -> None:
    """Record the evidence and sign-offs of a reference case through the gate services,
    one criterion a day from `start`.

    Every applicable criterion is met unless the case says otherwise, so the gates the
    story leaves open are exactly the ones the case names a criterion of.
    """
    steps = {
        (record["gate"], record["position"]): _Step(
            record["outcome"], record.get("evidence", ""), record.get("comment", "")
        )
        for record in case["criteria"]
    }
    submitters = case["evidence_by"]
    context = _evidence_context(case, people=people)
    day = start
    for gate_key in ALL_GATES:
        for criterion in criteria[gate_key]:
            if not criterion.applies_to(pilot.risk_tier):
                continue
            step = steps.get((gate_key, criterion.position), _Step(MET))
            if step.outcome == NOTHING:
                continue
            day += timedelta(days=1)
            _criterion_record(
                pilot,
                criterion,
                step,
                by=people[submitters.get(gate_key, submitters["default"])],
                reviewer=people[reviewer_key(criterion.function)],
                text=step.evidence or criterion_texts(criterion).evidence.format(**context),
                day=day,
            )


def _criterion_record(
    pilot: Pilot,
    criterion: Criterion,
    step: _Step,
    *,
    by: User,
    reviewer: User,
    text: str,
    day: date,
) -> None:
    """The evidence for one criterion, its review and, where a function signs it off,
    the function's verdict."""
    evidence = evidence_submit(pilot=pilot, criterion=criterion, by=by, text=text, at=at(day, 9))
    if step.outcome == PENDING:
        return
    evidence_review(
        evidence=evidence,
        by=reviewer,
        accept=step.outcome != REJECTED,
        comment=step.comment if step.outcome == REJECTED else "",
        at=at(day, 14),
    )
    if criterion.function and step.outcome in (MET, OBJECTED):
        signoff_record(
            pilot=pilot,
            criterion=criterion,
            by=reviewer,
            verdict=Verdict.OBJECTED if step.outcome == OBJECTED else Verdict.SIGNED_OFF,
            comment=step.comment if step.outcome == OBJECTED else "",
            at=at(day, 16),
        )


def _evidence_context(case: Case, *, people: dict[str, User]) -> dict[str, str]:
    """What the generic evidence texts of `data/criteria.toml` say of this pilot."""
    roles = case["roles"]
    return {
        "owner": people[roles["deployment_owner"]].name,
        "unit": case["pilot"]["business_unit"],
        "metric": case["metric"]["name"],
        "tier": case["pilot"]["risk_tier"],
        "sponsor": people[roles["sponsor"]].name,
        **case["evidence_context"],
    }
