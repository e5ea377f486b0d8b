"""A pilot's life: stage moves, stage-gate decisions, deferrals and risk approvals.

The legal moves and what each outcome does are `portfolio.stages`; these functions
enforce them, with decision rights and the dates of each step. What a Scale needs,
its waivers and each decision's snapshot are `portfolio.services.decisions`.
"""

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portfolio.models import (
    Decision,
    Deferral,
    Outcome,
    Pilot,
    RiskApproval,
    RiskTier,
    Stage,
    StageChange,
    User,
    risk_scope_of,
)
from portfolio.rules import can_decide_pilot, can_edit_pilot, is_risk_owner, refusal
from portfolio.selectors.charter import pilot_start_missing
from portfolio.selectors.decisions import pilot_gate_states
from portfolio.services.decisions import (
    WaiverInput,
    decision_check_current,
    decision_outcome_effects,
    waivers_save,
)
from portfolio.services.risk import pilot_duties_check, risk_approval_require
from portfolio.stages import OUTCOME_STAGE, manual_moves_from, needs_decision, outcomes_from


def pilot_stage_record(
    *, pilot: Pilot, to_stage: str, on: date, by: User | None, reason: str = ""
) -> StageChange:
    """Move the pilot to `to_stage` and record the change; checks no rule.

    1. Update the pilot only if its stage is still the one we read, so two moves at
       once cannot both apply: the second finds no row and is refused.
    2. Keep the pilot's history complete: an update writes none of its own, and the
       next change would otherwise seem to carry the new stage.
    3. Record the change with who, when, from, to and why.
    """
    from_stage = pilot.stage
    extra = {}
    if to_stage == Stage.IN_PRODUCTION:
        extra["go_live_on"] = on
    changed = Pilot.objects.filter(id=pilot.id, stage=from_stage).update(
        stage=to_stage, stage_entered_on=on, updated_at=timezone.now(), **extra
    )
    if changed != 1:
        raise ValidationError("The pilot's stage changed meanwhile; reload and try again.")
    Pilot.history.bulk_history_create(
        [Pilot.objects.get(pk=pilot.pk)], update=True, default_user=by
    )
    pilot.stage, pilot.stage_entered_on = to_stage, on
    for name, value in extra.items():
        setattr(pilot, name, value)
    return StageChange.objects.create(
        pilot=pilot,
        from_stage=from_stage,
        to_stage=to_stage,
        changed_on=on,
        changed_by=by,
        reason=reason,
    )


def _effective_date(pilot: Pilot, on: date | None) -> date:
    """The date of a move or decision: today unless given, never before the stage began."""
    on = on or timezone.localdate()
    if on < pilot.stage_entered_on:
        raise ValidationError(
            f"The date {on} comes before the pilot entered its stage on {pilot.stage_entered_on}."
        )
    return on


def _require_charter(pilot: Pilot) -> None:
    """A pilot starts (or goes back to piloting) only with its charter answered and
    its planned start and end given."""
    missing = pilot_start_missing(pilot=pilot)
    if missing:
        raise ValidationError(
            "The pilot cannot start before its charter answers: " + "; ".join(missing) + "."
        )


@transaction.atomic
def pilot_stage_move(
    *, pilot: Pilot, to_stage: str, by: User | None, on: date | None = None, reason: str = ""
) -> StageChange:
    """Start a pilot, mark it awaiting decision, or mark a scaling pilot live: its
    deployment or delivery owner does (an executive while it has no owner), from every
    entry point (page, admin). `by=None` is the system's own move (an import, the demo)."""
    if by is not None and not can_edit_pilot.test(by, pilot):
        raise PermissionDenied(refusal("portfolio.edit_pilot"))
    if to_stage not in manual_moves_from(pilot.stage):
        raise ValidationError(
            f"A pilot cannot go from {Stage(pilot.stage).label} to {Stage(to_stage).label}"
            + (" by hand: that takes a stage-gate decision." if needs_decision(to_stage) else ".")
        )
    if to_stage == Stage.PILOTING:
        _require_charter(pilot)
    return pilot_stage_record(
        pilot=pilot, to_stage=to_stage, on=_effective_date(pilot, on), by=by, reason=reason
    )


def pilot_check_decision_rights(*, pilot: Pilot, user: User) -> None:
    """The pilot's decision maker (its deployment owner unless another is named) or
    an executive takes its stage-gate decisions (`portfolio.decide_pilot`)."""
    if not can_decide_pilot.test(user, pilot):
        raise PermissionDenied(refusal("portfolio.decide_pilot"))


def _check_decision(*, pilot: Pilot, outcome: str, by: User, rationale: str) -> None:
    """Decision rights, the stage, the rationale and, for a high-risk Scale, the risk
    owner's approval: raise the first refusal."""
    pilot_check_decision_rights(pilot=pilot, user=by)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": f"Unknown outcome {outcome!r}."})
    if Outcome(outcome) not in outcomes_from(pilot.stage):
        raise ValidationError(
            f"A {Outcome(outcome).label} decision cannot be taken on a pilot that is "
            f"{Stage(pilot.stage).label.lower()}."
        )
    if not rationale.strip():
        raise ValidationError({"rationale": "A decision needs its rationale."})
    if outcome == Outcome.SCALE and pilot.risk_tier == RiskTier.HIGH:
        risk_approval_require(pilot)


@transaction.atomic
def decision_record(
    *,
    pilot: Pilot,
    outcome: str,
    by: User,
    rationale: str,
    conditions: str = "",
    on: date | None = None,
    stage: str | None = None,
    version: str | None = None,
    waivers: Sequence[WaiverInput] = (),
) -> Decision:
    """Record a stage-gate decision and move the pilot where it sends it.

    1. Lock the pilot's row and read it again: a decision on a pilot no longer in the
       `stage` or `version` its form showed is refused (of two posted at once, the
       second waits for the first, then finds the pilot changed).
    2. Check rights, stage, rationale, a high-risk Scale's risk approval, and for a
       Scale every gate met or waived and the close-out answered.
    3. Freeze what the decision maker saw; a Stop or Research withdraws the
       undecided conditions.
    4. Move the stage (conditional update), write the decision, superseding the
       last one recorded, and a Scale's waivers.
    """
    pilot_check_decision_rights(pilot=pilot, user=by)
    current = decision_check_current(pilot=pilot, stage=stage, version=version)
    _check_decision(pilot=current, outcome=outcome, by=by, rationale=rationale)
    to_stage = OUTCOME_STAGE[Outcome(outcome)]
    if to_stage == Stage.PILOTING:
        _require_charter(current)
    on = _effective_date(current, on)
    new_waivers, snapshot = decision_outcome_effects(
        pilot=current,
        outcome=outcome,
        by=by,
        on=on,
        gates=pilot_gate_states(current),
        waivers=list(waivers),
    )
    previous = current.decisions.order_by("-id").first()
    pilot_stage_record(
        pilot=pilot,
        to_stage=to_stage,
        on=on,
        by=by,
        reason=f"Decision: {Outcome(outcome).label}. {rationale.strip()}",
    )
    decision = _decision_write(
        pilot=pilot,
        outcome=outcome,
        decided_by=by,
        decided_on=on,
        rationale=rationale.strip(),
        conditions=conditions.strip(),
        supersedes=previous,
        snapshot=snapshot,
    )
    waivers_save(decision=decision, waivers=new_waivers)
    return decision


def _decision_write(**fields) -> Decision:
    decision = Decision(**fields)
    decision.full_clean()
    decision.save()
    return decision


@transaction.atomic
def decision_defer(*, pilot: Pilot, by: User, reason: str, on: date | None = None) -> Deferral:
    pilot_check_decision_rights(pilot=pilot, user=by)
    if pilot.stage != Stage.AWAITING_DECISION:
        raise ValidationError("Only a decision that is due can be deferred.")
    # Under a row lock: a decision taken meanwhile wins over this deferral.
    if not Pilot.objects.select_for_update().filter(id=pilot.id, stage=pilot.stage).exists():
        raise ValidationError("The pilot's stage changed meanwhile; reload and try again.")
    if not reason.strip():
        raise ValidationError({"reason": "A deferral needs its reason."})
    deferral = Deferral(
        pilot=pilot, deferred_by=by, deferred_on=_effective_date(pilot, on), reason=reason.strip()
    )
    deferral.full_clean()
    deferral.save()
    return deferral


def risk_approval_record(
    *, pilot: Pilot, by: User, note: str = "", on: date | None = None
) -> RiskApproval:
    """The risk owner approves the pilot's risk as it is now: its tier, its risk owner
    and its scope (`RiskApproval.scope`); a change of any voids the approval."""
    if not is_risk_owner.test(by, pilot):
        raise PermissionDenied(refusal("portfolio.approve_risk"))
    current = Pilot.objects.select_related("success_metric").get(pk=pilot.pk)
    pilot_duties_check(current)
    return RiskApproval.objects.create(
        pilot=pilot,
        approved_by=by,
        approved_on=on or timezone.localdate(),
        note=note.strip(),
        scope=risk_scope_of(current),
    )
