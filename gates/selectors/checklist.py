"""A pilot's checklist: the criteria of its version, each with its evidence, its current
sign-off and what is due next."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from gates.models import Criterion, Evidence, EvidenceStatus, Gate, SignOff, Verdict
from gates.selectors.readiness import (
    EXPIRED,
    criteria_of_versions,
    criterion_met,
    holds,
    verdict_as_of,
    version_id_of,
)
from portfolio.models import Pilot

# How long ahead an owner is warned that evidence or a sign-off expires.
WARN_DAYS = 30


@dataclass
class ChecklistItem:
    criterion: Criterion
    evidence: list[Evidence]  # oldest first; each with `expired` and `expiring` set
    signoff: SignOff | None  # the current sign-off, objection or voiding
    met: bool
    next_step: str  # who is expected to act, and how; empty when nothing is due
    forms: dict  # the view's forms for this criterion, by name
    signoff_expired: bool = False


@dataclass
class ChecklistGate:
    gate: Gate
    items: list[ChecklistItem]
    is_open: bool = False  # its checklist shown unfolded on the page

    @property
    def settled(self) -> bool:
        """Every required criterion met and no objection: nothing left to do here."""
        return all(item.met for item in self.items if item.criterion.required) and not any(
            item.signoff is not None and item.signoff.verdict == Verdict.OBJECTED
            for item in self.items
        )


def _next_step(criterion: Criterion, evidence: list[Evidence], verdict: str | None) -> str:
    reviewer = f"{(criterion.get_function_display() or 'Business')} reviewer"
    if verdict == Verdict.OBJECTED:
        return f"Owner: resolve the {criterion.get_function_display()} objection"
    if any(item.status == EvidenceStatus.PENDING for item in evidence):
        return f"{reviewer}: review the evidence"
    if not any(item.status == EvidenceStatus.ACCEPTED and not item.expired for item in evidence):
        if any(item.expired for item in evidence):
            return "Owner: the evidence expired; add new evidence or confirm it still holds"
        return "Owner: add evidence"
    if criterion.function and verdict in (EXPIRED, Verdict.TO_RECONFIRM):
        return f"{reviewer}: re-confirm the sign-off"
    if criterion.function and verdict != Verdict.SIGNED_OFF:
        return f"{reviewer}: sign off or object"
    return ""


def _mark_expiry(evidence: Evidence, as_of: date) -> None:
    accepted = evidence.status == EvidenceStatus.ACCEPTED
    evidence.expired = accepted and not holds(evidence.valid_until, as_of)
    evidence.expiring = (
        accepted
        and not evidence.expired
        and evidence.valid_until is not None
        and evidence.valid_until <= as_of + timedelta(days=WARN_DAYS)
    )


def pilot_checklist(*, pilot: Pilot, as_of: date | None = None) -> list[ChecklistGate]:
    """The criteria of the pilot's version applying to its risk tier, by gate, each with
    its evidence and current sign-off (matched by criterion key, so what was given under
    an earlier version shows). A fixed number of queries, whatever the number of
    criteria, evidence and sign-offs."""
    as_of = as_of or timezone.localdate()
    version_id = version_id_of(pilot)
    criteria = [
        criterion
        for criterion in criteria_of_versions({version_id}).get(version_id, [])
        if criterion.applies_to(pilot.risk_tier)
    ]
    evidence_by_key: dict[str, list[Evidence]] = {}
    for evidence in Evidence.objects.filter(pilot=pilot).select_related(
        "submitted_by", "reviewed_by", "criterion"
    ):
        _mark_expiry(evidence, as_of)
        evidence_by_key.setdefault(evidence.criterion.key, []).append(evidence)
    signoffs: dict[str, SignOff] = {}
    for signoff in (
        SignOff.objects.filter(pilot=pilot).select_related("signed_by", "criterion").order_by("id")
    ):
        signoffs[signoff.criterion.key] = signoff  # the latest wins
    accepted = {
        key
        for key, items in evidence_by_key.items()
        if any(item.status == EvidenceStatus.ACCEPTED and not item.expired for item in items)
    }
    verdicts = {
        key: verdict_as_of(signoff.verdict, signoff.valid_until, as_of)
        for key, signoff in signoffs.items()
    }
    gates: dict[int, ChecklistGate] = {}
    for criterion in criteria:
        evidence = evidence_by_key.get(criterion.key, [])
        gates.setdefault(criterion.gate_id, ChecklistGate(gate=criterion.gate, items=[]))
        gates[criterion.gate_id].items.append(
            ChecklistItem(
                criterion=criterion,
                evidence=evidence,
                signoff=signoffs.get(criterion.key),
                met=criterion_met(criterion, accepted=accepted, verdicts=verdicts),
                next_step=_next_step(criterion, evidence, verdicts.get(criterion.key)),
                forms={},
                signoff_expired=verdicts.get(criterion.key) == EXPIRED,
            )
        )
    return list(gates.values())
