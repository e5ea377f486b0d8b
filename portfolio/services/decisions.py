"""What a stage-gate decision must satisfy beyond the stage machine, and what it leaves
behind: a Scale's readiness (every gate met or waived, the close-out answered), the
waivers recorded with it, the conditions a Stop or Research withdraws, the snapshot
of what the decision maker saw, and closing a waiver.

`services.lifecycle.decision_record` calls these inside its transaction.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portfolio.models import (
    ConditionDecision,
    Decision,
    Outcome,
    Pilot,
    PilotCondition,
    User,
    Waiver,
)
from portfolio.rules import can_decide_pilot, is_executive, refusal
from portfolio.selectors.decisions import (
    GateState,
    ScaleGaps,
    WaiverNeed,
    decision_snapshot,
    decision_version,
    scale_gaps,
)
from portfolio.services.parts import EditConflict

STALE_MESSAGE = (
    "This pilot changed since the decision form was shown (another decision, a stage "
    "move or a gate's state), so nothing was recorded. Here is where it stands now: "
    "decide again on it."
)


@dataclass(frozen=True)
class WaiverInput:
    """A waiver as the decision maker writes it: for the need `key` (`WaiverNeed.key`)."""

    key: str
    reason: str
    condition: str
    owner: User | None
    due_on: date | None


def decision_check_current(*, pilot: Pilot, stage: str | None, version: str | None) -> Pilot:
    """The pilot as it is now, its row locked until the transaction ends; refused with
    `EditConflict` when it is no longer in `stage`, or no longer the `version` the
    decision form was shown for (`selectors.decisions.decision_version`), or no longer
    in the stage of the caller's copy."""
    current = Pilot.objects.select_for_update().get(pk=pilot.pk)
    if (stage is not None and current.stage != stage) or (
        version is not None and decision_version(current) != version
    ):
        raise EditConflict(STALE_MESSAGE, current=current)
    if current.stage != pilot.stage:  # the caller's copy is stale
        raise EditConflict("The pilot's stage changed meanwhile; reload and try again.")
    return current


def scale_waivers_check(
    *, pilot: Pilot, by: User, on: date, gaps: ScaleGaps, waivers: list[WaiverInput]
) -> list[Waiver]:
    """The waivers a Scale records, unsaved; refused with everything still missing.

    Each open gate needs a waiver; each open objection the function's sign-off or an
    executive's waiver that names it; the close-out questions have no waiver."""
    given = {waiver.key: waiver for waiver in waivers}
    needs = {need.key: need for need in gaps.waivers}
    unknown = sorted(set(given) - set(needs))
    if unknown:
        raise ValidationError(
            "No open gate or objection to waive: " + ", ".join(unknown) + ". Reload the page."
        )
    missing = gaps.missing(waived=set(given))
    if missing:
        raise ValidationError(
            "A Scale needs what is still missing: " + "; ".join(missing) + ".", code="scale_gaps"
        )
    return [
        _waiver(pilot=pilot, by=by, on=on, need=needs[key], given=waiver)
        for key, waiver in given.items()
    ]


def _waiver(*, pilot: Pilot, by: User, on: date, need: WaiverNeed, given: WaiverInput) -> Waiver:
    errors = {}
    if need.objection is not None and not is_executive.test(by):
        errors["reason"] = (
            "Only an executive may waive an open objection; otherwise the "
            f"{need.objection.get_function_display()} function signs it off."
        )
    for name, words in (("reason", "why"), ("condition", "the condition attached")):
        if not getattr(given, name).strip() and name not in errors:
            errors[name] = f"A waiver says {words}."
    if given.owner is None:
        errors["owner"] = "A waiver names who closes it."
    if given.due_on is None or given.due_on < on:
        errors["due_on"] = f"A waiver is due on a date, not before {on}."
    if errors:
        raise ValidationError(
            {f"{need.key}-{name}": f"{need.label}: {text}" for name, text in errors.items()}
        )
    return Waiver(
        pilot=pilot,
        gate=need.gate,
        objection=need.objection,
        waived_by=by,
        reason=given.reason.strip(),
        condition=given.condition.strip(),
        owner=given.owner,
        due_on=given.due_on,
    )


def conditions_withdraw(*, pilot: Pilot, by: User) -> list[str]:
    """Withdraw the pilot's undecided conditions (a Stop or Research closes them); each
    change is kept in the conditions' history with who made it."""
    withdrawn = []
    for condition in PilotCondition.objects.filter(
        pilot=pilot, decision=ConditionDecision.UNDECIDED
    ):
        condition.decision = ConditionDecision.WITHDRAWN
        condition._history_user = by
        condition.save(update_fields=["decision"])
        withdrawn.append(condition.description)
    return withdrawn


def decision_outcome_effects(
    *,
    pilot: Pilot,
    outcome: str,
    by: User,
    on: date,
    gates: list[GateState],
    waivers: list[WaiverInput],
) -> tuple[list[Waiver], dict]:
    """Check what the outcome needs beyond its rationale and return the waivers to
    save and the snapshot to keep. Call before the stage moves: the snapshot is the
    pilot as the decision maker saw it."""
    new_waivers = []
    if outcome == Outcome.SCALE:
        gaps = scale_gaps(pilot, gates=gates)
        new_waivers = scale_waivers_check(pilot=pilot, by=by, on=on, gaps=gaps, waivers=waivers)
    snapshot = decision_snapshot(pilot, gates=gates, waivers=new_waivers, as_of=on)
    if outcome in (Outcome.STOP, Outcome.RESEARCH):
        snapshot["conditions_withdrawn"] = conditions_withdraw(pilot=pilot, by=by)
    return new_waivers, snapshot


def waivers_save(*, decision: Decision, waivers: list[Waiver]) -> None:
    for waiver in waivers:
        waiver.decision = decision
        waiver.full_clean()
    Waiver.objects.bulk_create(waivers)


@transaction.atomic
def waiver_close(*, waiver: Waiver, by: User, on: date | None = None) -> Waiver:
    """Close a waiver: the gate it waived is closed. The one change a waiver allows,
    by its owner, the pilot's decision maker or an executive; closing twice is refused."""
    pilot = waiver.pilot
    if by.pk != waiver.owner_id and not can_decide_pilot.test(by, pilot):
        raise PermissionDenied(refusal("portfolio.decide_pilot"))
    on = on or timezone.localdate()
    waived_on = waiver.decision.decided_on if waiver.decision_id else waiver.recorded_at.date()
    if on < waived_on:
        raise ValidationError(f"A waiver is closed on or after the day it was given, {waived_on}.")
    closed = Waiver.objects.filter(pk=waiver.pk, closed_on__isnull=True).update(closed_on=on)
    if closed != 1:
        raise ValidationError("This waiver is already closed.")
    waiver.closed_on = on
    return waiver
