"""What taking a generated pilot to production costs and is judged by: its cost lines
for the pilot, the production transition and a year of running, and its production KPIs."""

import random
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone

from portfolio.demo import prose
from portfolio.demo.generator.drafts import BATCH_SIZE, Draft, Generation, Rows
from portfolio.models import CostCategory, CostLine, CostPhase, KpiKind, Pilot, ProductionKpi, Stage

SCALED = (Stage.SCALING, Stage.IN_PRODUCTION)  # on its way to production, or live


def costs_add(generation: Generation, rows: Rows, draft: Draft) -> None:
    """Pilot costs, and the production-transition and yearly run costs, which are
    typically several times the pilot cost: what the CFO needs to see."""
    rng, pilot = generation.rng, draft.pilot
    if pilot.stage == Stage.PROPOSED and rng.random() < 0.5:
        return
    pilot_categories = [
        CostCategory.DATA,
        CostCategory.INTEGRATION,
        CostCategory.TRAINING,
        CostCategory.MANAGER_TIME,
        CostCategory.SECURITY,
    ]
    pilot_lines = {
        c: rng.randint(20, 300) * 100 for c in rng.sample(pilot_categories, rng.randint(1, 2))
    }
    _cost_lines_add(rows, pilot, CostPhase.PILOT, pilot_lines)
    pilot_total = sum(pilot_lines.values())
    closed = pilot.stage in (Stage.STOPPED, Stage.RESEARCH)
    reached_decision = Stage.AWAITING_DECISION in draft.path or closed
    if reached_decision or (pilot.stage == Stage.PILOTING and rng.random() < 0.5):
        categories = rng.sample(list(CostCategory), rng.randint(1, 3))
        transition = _split(rng, pilot_total * rng.uniform(3, 8), categories)
        _cost_lines_add(rows, pilot, CostPhase.TRANSITION, transition)
    awaiting = pilot.stage == Stage.AWAITING_DECISION
    if pilot.stage in SCALED or (awaiting and rng.random() < 0.5):
        run_categories = [
            CostCategory.MONITORING,
            CostCategory.MAINTENANCE,
            CostCategory.GOVERNANCE,
            CostCategory.SECURITY,
        ]
        categories = rng.sample(run_categories, 1)
        run = _split(rng, pilot_total * rng.uniform(0.8, 2), categories)
        _cost_lines_add(rows, pilot, CostPhase.RUN, run)


def _cost_lines_add(rows: Rows, pilot: Pilot, phase: str, amounts: dict[str, int]) -> None:
    note = prose.COST_NOTES["run"] if phase == CostPhase.RUN else ""
    if pilot.stage == Stage.PROPOSED or (
        phase == CostPhase.TRANSITION and pilot.stage not in SCALED
    ):
        note = prose.COST_NOTES["estimate"]
    for category, amount in amounts.items():
        rows.add(
            CostLine(
                pilot_id=pilot.id,
                category=category,
                phase=phase,
                amount=Decimal(amount),
                note=note,
            )
        )


def _split(rng: random.Random, total: float, categories: Sequence[str]) -> dict[str, int]:
    """Spread a total over categories, in hundreds."""
    weights = [rng.uniform(0.5, 2) for _ in categories]
    scale = total / sum(weights)
    return {
        c: max(1, round(w * scale / 100)) * 100 for c, w in zip(categories, weights, strict=True)
    }


def kpis_add(generation: Generation, rows: Rows, draft: Draft) -> None:
    """The business metric and one to three other KPIs the production run is judged by."""
    rng, pilot = generation.rng, draft.pilot
    awaiting = pilot.stage == Stage.AWAITING_DECISION
    if pilot.stage not in SCALED and not (awaiting and rng.random() < 0.4):
        return
    horizon = rng.choice((6, 12, 12, 18, 24))
    kpis = [(KpiKind.BUSINESS, draft.use_case.metric, draft.context["target"])]
    kpis += [(kind, *prose.KPIS[kind]) for kind in rng.sample(list(prose.KPIS), rng.randint(1, 3))]
    for kind, name, target in kpis:
        rows.add(
            ProductionKpi(
                pilot_id=pilot.id, kind=kind, name=name, target=target, horizon_months=horizon
            )
        )


def _cost_written_on(draft: Draft, phase: str) -> date:
    """The day a cost line was written: the pilot cost when it started piloting, the
    transition estimate when it came to a decision, the run cost once it scaled."""
    first = draft.entered[0]
    stage_of_phase = {
        CostPhase.PILOT: Stage.PILOTING,
        CostPhase.TRANSITION: Stage.AWAITING_DECISION,
        CostPhase.RUN: Stage.SCALING,
    }
    days = [
        on for s, on in zip(draft.path, draft.entered, strict=True) if s == stage_of_phase[phase]
    ]
    return days[0] if days else draft.entered[-1] if phase != CostPhase.PILOT else first


def cost_history_write(drafts: list[Draft], lines: list[CostLine]) -> None:
    """Each generated cost line's first version in its history, dated the day it was
    written (bulk_create writes none), so the portfolio's costs have a past."""
    by_pilot = {draft.pilot.id: draft for draft in drafts}
    history = CostLine.history.model
    rows = []
    for line in lines:
        on = _cost_written_on(by_pilot[line.pilot_id], line.phase)
        rows.append(
            history(
                id=line.id,
                pilot_id=line.pilot_id,
                category=line.category,
                phase=line.phase,
                amount=line.amount,
                currency=line.currency,
                note=line.note,
                history_date=timezone.make_aware(datetime.combine(on, time(9))),
                history_type="+",
            )
        )
    history.objects.bulk_create(rows, batch_size=BATCH_SIZE)
