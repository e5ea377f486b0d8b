"""A generated pilot's history: a stage change for each step of its story, the stage-gate
decision behind each step that took one, deferrals, and risk approvals."""

from datetime import date, timedelta
from decimal import Decimal

from portfolio.demo import prose
from portfolio.demo.figures import figure
from portfolio.demo.generator.drafts import Draft, Generation, Rows, id_of
from portfolio.demo.generator.stories import Story
from portfolio.models import (
    Decision,
    Deferral,
    Outcome,
    RiskApproval,
    RiskTier,
    Stage,
    StageChange,
    User,
    Waiver,
)
from portfolio.stages import OUTCOME_STAGE

REASONS = prose.STAGE_CHANGE_REASONS


def history_add(generation: Generation, rows: Rows, draft: Draft) -> None:
    """A stage change for each step, and the decision behind each step that took one."""
    rng, pilot = generation.rng, draft.pilot
    owner = pilot.deployment_owner
    decider = pilot.decision_maker or owner
    previous: Decision | None = None
    awaiting_since: date | None = None
    for i, (stage, on) in enumerate(zip(draft.path, draft.entered, strict=True)):
        from_stage = draft.path[i - 1] if i else ""
        by: User | None = owner or pilot.sponsor
        if not from_stage:
            inventory = draft.story == Story.INVENTORY
            reason = REASONS["inventory" if inventory else "proposed"]
            by = None if inventory else pilot.sponsor
        elif stage == Stage.PILOTING and from_stage == Stage.PROPOSED:
            reason = REASONS["piloting"]
        elif stage == Stage.AWAITING_DECISION:
            reason = REASONS["awaiting_decision"]
            by = pilot.delivery_owner or owner
            awaiting_since = on
        elif stage == Stage.IN_PRODUCTION:
            reason = REASONS["in_production"]
            by = pilot.delivery_owner or owner
        else:  # a stage-gate decision sent it here
            if rng.random() < 0.2:
                decider = generation.people[rng.choice(prose.EXECUTIVES)]
            decision = _decision(
                generation, draft, from_stage=from_stage, to_stage=stage, on=on, by=decider
            )
            decision.supersedes = previous
            rows.add(decision)
            _before_decision_add(generation, rows, draft, since=awaiting_since, decision=decision)
            _waiver_add(generation, rows, draft, decision)
            previous, by = decision, decider
            outcome = Outcome(decision.outcome).label
            reason = REASONS["decided"].format(outcome=outcome, rationale=decision.rationale)
        rows.add(
            StageChange(
                pilot_id=pilot.id,
                from_stage=from_stage,
                to_stage=stage,
                changed_on=on,
                changed_by_id=id_of(by),
                reason=reason,
            )
        )
    if pilot.stage == Stage.AWAITING_DECISION and awaiting_since is not None:
        _deferrals_add(generation, rows, draft, since=awaiting_since, until=generation.today)


def _decision(
    generation: Generation, draft: Draft, *, from_stage: str, to_stage: str, on: date, by: User
) -> Decision:
    """The decision that sent the pilot to `to_stage`, with a rationale that fits its
    result."""
    rng = generation.rng
    outcome = next(o for o, s in OUTCOME_STAGE.items() if s == to_stage)
    early_stop = outcome == Outcome.STOP and from_stage == Stage.PILOTING
    rationales = prose.RATIONALES["stop_early" if early_stop else outcome]
    return Decision(
        pilot_id=draft.pilot.id,
        outcome=outcome,
        decided_by_id=by.id,
        decided_on=on,
        rationale=rng.choice(rationales).format(
            metric=draft.use_case.metric.lower(),
            system=draft.use_case.system,
            progress=max(0, round(draft.result * 100)),
            result=figure(draft.value_at(draft.result), draft.use_case.unit),
            target=draft.context["target"],
        ),
        conditions=rng.choice(prose.SCALE_CONDITIONS) if outcome == Outcome.SCALE else "",
        snapshot=_snapshot(draft, from_stage=from_stage, on=on),
    )


def _snapshot(draft: Draft, *, from_stage: str, on: date) -> dict:
    """What the decision maker saw, as `selectors.decisions.decision_snapshot` keeps it,
    built from the draft alone (no query): the metric's last result against its target."""
    use_case = draft.use_case
    return {
        "as_of": on.isoformat(),
        "stage": from_stage,
        "risk_tier": draft.pilot.risk_tier,
        "gates": [],
        "objections": [],
        "metric": {
            "name": use_case.metric,
            "unit": use_case.unit,
            "direction": use_case.direction,
            "baseline": _plain(draft.baseline),
            "target": _plain(draft.target),
            "latest": {
                "value": _plain(draft.value_at(draft.result)),
                "measured_on": on.isoformat(),
            },
            "target_reached": draft.result >= 1,
        },
        "costs": {},
        "conditions": {},
        "waivers": [],
    }


def _plain(value) -> str:
    return f"{round(Decimal(value), 2):f}"


def _waiver_add(generation: Generation, rows: Rows, draft: Draft, decision: Decision) -> None:
    """Every fourth first Scale (by pilot id, so no random draw shifts the later pilots)
    waives the governance gate, with the delivery owner to close it."""
    if decision.outcome != Outcome.SCALE or decision.supersedes is not None:
        return
    if draft.pilot.id % 4:
        return
    owner = draft.pilot.delivery_owner or draft.pilot.deployment_owner
    if owner is None:
        return
    gate = generation.criteria["governance"][0].gate
    due_on = decision.decided_on + timedelta(days=prose.WAIVER["due_days"])
    waiver = Waiver(
        pilot_id=draft.pilot.id,
        gate_id=gate.id,
        decision=decision,
        waived_by_id=decision.decided_by_id,
        reason=prose.WAIVER["reason"],
        condition=prose.WAIVER["condition"],
        owner_id=owner.id,
        due_on=due_on,
    )
    rows.add(waiver)
    decision.snapshot["waivers"].append(
        {
            "gate": str(gate),
            "objection": None,
            "reason": waiver.reason,
            "condition": waiver.condition,
            "owner": str(owner),
            "due_on": due_on.isoformat(),
        }
    )


def _before_decision_add(
    generation: Generation, rows: Rows, draft: Draft, *, since: date | None, decision: Decision
) -> None:
    """What came before a decision: maybe a deferral and, for a high-risk Scale, the
    risk owner's approval (the services refuse a high-risk Scale without it)."""
    pilot = draft.pilot
    if since is None:
        return
    if generation.rng.random() < 0.3:
        _deferrals_add(generation, rows, draft, since=since, until=decision.decided_on, count=1)
    if decision.outcome == Outcome.SCALE and pilot.risk_tier == RiskTier.HIGH:
        gap = (decision.decided_on - since).days
        rows.add(
            RiskApproval(
                pilot_id=pilot.id,
                approved_by_id=pilot.risk_owner_id,
                approved_on=decision.decided_on - timedelta(days=generation.rng.randint(1, gap)),
                note=prose.RISK_APPROVAL_NOTE,
            )
        )


def _deferrals_add(
    generation: Generation,
    rows: Rows,
    draft: Draft,
    *,
    since: date,
    until: date,
    count: int | None = None,
) -> None:
    """Deferrals of the decision due between `since` and `until`: `count` of them, or as
    many as the pilot's story implies."""
    rng, pilot = generation.rng, draft.pilot
    by = pilot.decision_maker or pilot.deployment_owner
    if by is None:
        return
    if count is None:
        # All three draws are made whatever the story: drawing less would change every
        # later pilot of the same seed.
        count = {
            Story.STALLED_DEFERRED: rng.randint(2, 4),
            Story.STALLED: rng.choice((0, 1)),
        }.get(draft.story, 1 if rng.random() < 0.15 else 0)
    span = (until - since).days - 1
    if span < count:
        return
    for offset in sorted(rng.sample(range(1, span + 1), count)):
        rows.add(
            Deferral(
                pilot_id=pilot.id,
                deferred_on=since + timedelta(days=offset),
                deferred_by_id=by.id,
                reason=rng.choice(prose.DEFERRAL_REASONS),
            )
        )
