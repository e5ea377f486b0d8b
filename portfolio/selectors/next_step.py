"""The one next step of a pilot for the person reading its page."""

from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from rules import has_perm

from gates.models import EvidenceStatus, Verdict
from gates.selectors import ChecklistGate, ChecklistItem
from portfolio.models import Pilot, Stage, User
from portfolio.selectors.charter import charter_missing_of
from portfolio.selectors.work_queue import pilot_anchor
from portfolio.stages import OPEN_STAGES


@dataclass(frozen=True)
class NextStep:
    text: str  # "Add evidence to: Security clearance"; empty when nothing waits for them
    url: str = ""  # where on the page it is done


def _anchor(pilot: Pilot, fragment: str) -> str:
    return reverse("pilot_detail", args=[pilot.id]) + fragment


def _criterion_step(pilot: Pilot, item: ChecklistItem, verb: str) -> NextStep:
    criterion = item.criterion
    url = pilot_anchor(pilot.id, gate_key=criterion.gate.key, criterion_id=criterion.id)
    return NextStep(f"{verb}: {criterion.text}", url)


def _reviewer_step(user: User, pilot: Pilot, items: list[ChecklistItem]) -> NextStep | None:
    """The first criterion waiting for the user as a reviewer of its function."""
    for item in items:
        statuses = {evidence.status for evidence in item.evidence}
        if EvidenceStatus.PENDING in statuses and has_perm(
            "gates.review_evidence", user, item.criterion
        ):
            return _criterion_step(pilot, item, "Review the evidence on")
        signed = item.signoff is not None and item.signoff.verdict == Verdict.SIGNED_OFF
        if (
            EvidenceStatus.ACCEPTED in statuses
            and not signed
            and item.criterion.function
            and (item.signoff is None or item.signoff.verdict != Verdict.OBJECTED)
            and has_perm("gates.review_criterion", user, item.criterion)
        ):
            return _criterion_step(pilot, item, "Sign off or object")
    return None


def _evidence_step(pilot: Pilot, items: list[ChecklistItem]) -> NextStep | None:
    """The first open criterion the pilot's owners act on: an objection to resolve, or a
    required criterion with no evidence accepted or awaiting review."""
    for item in items:
        if item.signoff is not None and item.signoff.verdict == Verdict.OBJECTED:
            function = item.criterion.get_function_display()
            return _criterion_step(pilot, item, f"Resolve the {function} objection on")
        statuses = {evidence.status for evidence in item.evidence}
        if item.criterion.required and not statuses & {
            EvidenceStatus.ACCEPTED,
            EvidenceStatus.PENDING,
        }:
            return _criterion_step(pilot, item, "Add evidence to")
    return None


def _owner_step(pilot: Pilot, items: list[ChecklistItem], *, as_of: date) -> NextStep | None:
    stage = pilot.stage
    if stage == Stage.PROPOSED:
        missing = charter_missing_of(pilot)
        if missing:
            return NextStep(f"Complete the charter: {missing[0]}", _anchor(pilot, "#charter-panel"))
        if not (pilot.pilot_start and pilot.pilot_end_planned):
            return NextStep(
                "Give the pilot's planned start and end", _anchor(pilot, "#charter-panel")
            )
        return NextStep("Start the pilot", _anchor(pilot, "#stage-panel"))
    if stage == Stage.SCALING:
        return NextStep("Mark it live once it is in production", _anchor(pilot, "#stage-panel"))
    if stage == Stage.PILOTING and pilot.pilot_end_planned and pilot.pilot_end_planned < as_of:
        return NextStep(
            "The planned end has passed: mark it awaiting decision", _anchor(pilot, "#stage-panel")
        )
    step = _evidence_step(pilot, items)
    if step is None and stage == Stage.PILOTING:
        return NextStep(
            "Mark it awaiting decision once its result is in", _anchor(pilot, "#stage-panel")
        )
    return step


def pilot_next_step(
    *, user: User, pilot: Pilot, checklist: list[ChecklistGate], as_of: date
) -> NextStep:
    """What the person reading the pilot's page should do next, in one line: decide,
    start, add evidence to a criterion, review or sign one off, mark it live... or,
    when nothing waits for them, what the pilot waits for."""
    if pilot.stage not in OPEN_STAGES:
        return NextStep("")
    if pilot.stage == Stage.AWAITING_DECISION and has_perm("portfolio.decide_pilot", user, pilot):
        return NextStep(
            "Decide: record the stage-gate decision", _anchor(pilot, "?open=decision#decision")
        )
    items = [item for group in checklist for item in group.items]
    step = _reviewer_step(user, pilot, items)
    if step is None and has_perm("portfolio.edit_pilot", user, pilot):
        step = _owner_step(pilot, items, as_of=as_of)
    if step is not None:
        return step
    if pilot.stage == Stage.AWAITING_DECISION:
        decider = pilot.effective_decision_maker
        return NextStep(f"Waiting for the decision of {decider or 'an executive'}")
    return NextStep("")
