"""Reads about gates: whether a criterion is met, a gate's readiness, what blocks a pilot,
and a pilot's checklist."""

from collections import defaultdict
from dataclasses import dataclass

from gates.models import (
    Criterion,
    Evidence,
    EvidenceStatus,
    Gate,
    Readiness,
    SignOff,
    Verdict,
)
from portfolio.models import Pilot


def criterion_met(criterion: Criterion, *, accepted: set[int], verdicts: dict[int, str]) -> bool:
    """Met: accepted evidence and, where the criterion belongs to a function, its sign-off."""
    return criterion.id in accepted and (
        not criterion.function or verdicts.get(criterion.id) == Verdict.SIGNED_OFF
    )


def criteria_evidence_of(
    pilot_ids: list[int],
) -> tuple[dict[int, set[int]], dict[int, dict[int, str]]]:
    """For each pilot: the criteria with accepted evidence, and the current sign-off
    verdict by criterion. Two queries, whatever the number of pilots."""
    accepted: dict[int, set[int]] = defaultdict(set)
    for pilot_id, criterion_id in Evidence.objects.filter(
        pilot_id__in=pilot_ids, status=EvidenceStatus.ACCEPTED
    ).values_list("pilot_id", "criterion_id"):
        accepted[pilot_id].add(criterion_id)
    verdicts: dict[int, dict[int, str]] = defaultdict(dict)
    # Sign-offs are only ever appended: in id order, the latest verdict wins.
    for pilot_id, criterion_id, verdict in (
        SignOff.objects.filter(pilot_id__in=pilot_ids)
        .order_by("id")
        .values_list("pilot_id", "criterion_id", "verdict")
    ):
        verdicts[pilot_id][criterion_id] = verdict
    return accepted, verdicts


def gate_readiness(
    *, criteria: list[Criterion], tier: str, accepted: set[int], verdicts: dict[int, str]
) -> tuple[str, int, int]:
    """Status of one gate for one pilot: (status, required criteria met, required criteria).

    `accepted` holds the ids of criteria with accepted evidence, `verdicts` the
    current sign-off verdict by criterion id.
    """
    applicable = [c for c in criteria if c.applies_to(tier)]
    if not applicable:
        return Readiness.NOT_APPLICABLE, 0, 0
    required = [c for c in applicable if c.required]
    met = sum(1 for c in required if criterion_met(c, accepted=accepted, verdicts=verdicts))
    if any(verdicts.get(c.id) == Verdict.OBJECTED for c in applicable):
        return Readiness.BLOCKED, met, len(required)
    status = Readiness.PASSED if met == len(required) else Readiness.OPEN
    return status, met, len(required)


@dataclass(frozen=True)
class Blocker:
    """An open criterion of a pilot, and who is expected to act on it."""

    gate: str
    criterion: str
    function: str
    waiting_for: str


def _waiting_for(criterion: Criterion, *, accepted: set[int], verdicts: dict[int, str]) -> str:
    """What an applicable criterion still waits for; empty when it blocks nothing."""
    if verdicts.get(criterion.id) == Verdict.OBJECTED:
        return "objection to resolve"
    if not criterion.required or criterion_met(criterion, accepted=accepted, verdicts=verdicts):
        return ""
    if criterion.id in accepted:
        return "sign-off"
    return "evidence and sign-off" if criterion.function else "evidence"


def pilot_blockers(pilots: list[Pilot]) -> dict[int, list[Blocker]]:
    """What blocks each pilot: the criteria applying to its risk tier that are
    required and not met, or under an open objection, in gate order, each with the
    function expected to act (the deployment owner where evidence alone proves it).
    Three queries, whatever the number of pilots."""
    criteria = list(Criterion.objects.select_related("gate"))
    accepted, verdicts = criteria_evidence_of([pilot.id for pilot in pilots])
    blockers: dict[int, list[Blocker]] = {}
    for pilot in pilots:
        blockers[pilot.id] = []
        for criterion in criteria:
            if not criterion.applies_to(pilot.risk_tier):
                continue
            waiting_for = _waiting_for(
                criterion, accepted=accepted[pilot.id], verdicts=verdicts[pilot.id]
            )
            if waiting_for:
                function = criterion.get_function_display() if criterion.function else ""
                blockers[pilot.id].append(
                    Blocker(
                        gate=f"{criterion.gate.number}. {criterion.gate.name}",
                        criterion=criterion.text,
                        function=function or "Deployment owner",
                        waiting_for=waiting_for,
                    )
                )
    return blockers


@dataclass
class ChecklistItem:
    criterion: Criterion
    evidence: list[Evidence]  # oldest first
    signoff: SignOff | None  # the current sign-off or objection
    met: bool
    next_step: str  # who is expected to act, and how; empty when nothing is due
    forms: dict  # the view's forms for this criterion, by name


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


def _next_step(criterion: Criterion, evidence: list[Evidence], signoff: SignOff | None) -> str:
    reviewer = f"{(criterion.get_function_display() or 'Business')} reviewer"
    if signoff is not None and signoff.verdict == Verdict.OBJECTED:
        return f"Owner: resolve the {criterion.get_function_display()} objection"
    if any(item.status == EvidenceStatus.PENDING for item in evidence):
        return f"{reviewer}: review the evidence"
    if not any(item.status == EvidenceStatus.ACCEPTED for item in evidence):
        return "Owner: add evidence"
    if criterion.function and (signoff is None or signoff.verdict != Verdict.SIGNED_OFF):
        return f"{reviewer}: sign off or object"
    return ""


def pilot_checklist(*, pilot: Pilot) -> list[ChecklistGate]:
    """The criteria applying to the pilot's risk tier, by gate, each with its evidence
    and current sign-off. Three queries, whatever the number of criteria, evidence
    and sign-offs."""
    criteria = [
        criterion
        for criterion in Criterion.objects.select_related("gate")
        if criterion.applies_to(pilot.risk_tier)
    ]
    evidence_by_criterion: dict[int, list[Evidence]] = {}
    for evidence in Evidence.objects.filter(pilot=pilot).select_related(
        "submitted_by", "reviewed_by"
    ):
        evidence_by_criterion.setdefault(evidence.criterion_id, []).append(evidence)
    signoffs: dict[int, SignOff] = {}
    for signoff in SignOff.objects.filter(pilot=pilot).select_related("signed_by").order_by("id"):
        signoffs[signoff.criterion_id] = signoff  # the latest wins
    accepted = {
        criterion_id
        for criterion_id, items in evidence_by_criterion.items()
        if any(item.status == EvidenceStatus.ACCEPTED for item in items)
    }
    verdicts = {criterion_id: signoff.verdict for criterion_id, signoff in signoffs.items()}
    gates: dict[int, ChecklistGate] = {}
    for criterion in criteria:
        evidence = evidence_by_criterion.get(criterion.id, [])
        signoff = signoffs.get(criterion.id)
        gates.setdefault(criterion.gate_id, ChecklistGate(gate=criterion.gate, items=[]))
        gates[criterion.gate_id].items.append(
            ChecklistItem(
                criterion=criterion,
                evidence=evidence,
                signoff=signoff,
                met=criterion_met(criterion, accepted=accepted, verdicts=verdicts),
                next_step=_next_step(criterion, evidence, signoff),
                forms={},
            )
        )
    return list(gates.values())
