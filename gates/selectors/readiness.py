"""Whether a criterion is met, a gate's readiness, and what blocks a pilot, each read
against the pilot's own checklist version and as of a day (evidence and sign-offs expire).

Evidence and sign-offs count by the criterion's `key`: those given on the same
criterion of an earlier version count for the pilot's version.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils import timezone

from gates.models import (
    ChecklistVersion,
    Criterion,
    Evidence,
    EvidenceStatus,
    Readiness,
    SignOff,
    Verdict,
    VersionStatus,
)
from portfolio.models import Pilot

# The verdict of a sign-off past its validity: it no longer counts as signed off.
EXPIRED = "expired"


def current_version() -> ChecklistVersion | None:
    """The latest published checklist version: the one new pilots follow."""
    return (
        ChecklistVersion.objects.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
    )


def version_id_of(pilot: Pilot) -> int | None:
    """The version the pilot follows: its own, or the current one when it has none."""
    if pilot.checklist_version_id:
        return pilot.checklist_version_id
    current = current_version()
    return current.id if current else None


def criteria_of_versions(version_ids: set[int]) -> dict[int, list[Criterion]]:
    """The criteria of each version, in gate order, with their gate. One query."""
    by_version: dict[int, list[Criterion]] = {version_id: [] for version_id in version_ids}
    for criterion in Criterion.objects.filter(version_id__in=version_ids).select_related("gate"):
        by_version[criterion.version_id].append(criterion)
    return by_version


def holds(valid_until: date | None, as_of: date) -> bool:
    return valid_until is None or valid_until > as_of


def verdict_as_of(verdict: str, valid_until: date | None, as_of: date) -> str:
    if verdict == Verdict.SIGNED_OFF and not holds(valid_until, as_of):
        return EXPIRED
    return verdict


def accepted_of(pilot_ids: list[int], *, as_of: date | None = None) -> dict[int, set[str]]:
    """For each pilot: the keys of the criteria with accepted evidence still valid on
    `as_of` (today by default). One query, whatever the number of pilots."""
    as_of = as_of or timezone.localdate()
    accepted: dict[int, set[str]] = defaultdict(set)
    for pilot_id, key in Evidence.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=as_of),
        pilot_id__in=pilot_ids,
        status=EvidenceStatus.ACCEPTED,
    ).values_list("pilot_id", "criterion__key"):
        accepted[pilot_id].add(key)
    return accepted


def criteria_evidence_of(
    pilot_ids: list[int], *, as_of: date | None = None
) -> tuple[dict[int, set[str]], dict[int, dict[str, str]]]:
    """For each pilot: `accepted_of`, and the current sign-off verdict by criterion key
    (`EXPIRED` for a sign-off past its validity on `as_of`). Two queries, whatever the
    number of pilots."""
    as_of = as_of or timezone.localdate()
    accepted = accepted_of(pilot_ids, as_of=as_of)
    verdicts: dict[int, dict[str, str]] = defaultdict(dict)
    # Sign-offs are only ever appended: in id order, the latest verdict wins.
    for pilot_id, key, verdict, valid_until in (
        SignOff.objects.filter(pilot_id__in=pilot_ids)
        .order_by("id")
        .values_list("pilot_id", "criterion__key", "verdict", "valid_until")
    ):
        verdicts[pilot_id][key] = verdict_as_of(verdict, valid_until, as_of)
    return accepted, verdicts


def criterion_met(criterion: Criterion, *, accepted: set[str], verdicts: dict[str, str]) -> bool:
    """Met: valid accepted evidence and, where the criterion belongs to a function, its
    current sign-off."""
    return criterion.key in accepted and (
        not criterion.function or verdicts.get(criterion.key) == Verdict.SIGNED_OFF
    )


def gate_readiness(
    *, criteria: list[Criterion], tier: str, accepted: set[str], verdicts: dict[str, str]
) -> tuple[str, int, int]:
    """Status of one gate for one pilot: (status, required criteria met, required criteria).

    `accepted` holds the keys of criteria with valid accepted evidence, `verdicts` the
    current sign-off verdict by criterion key.
    """
    applicable = [c for c in criteria if c.applies_to(tier)]
    if not applicable:
        return Readiness.NOT_APPLICABLE, 0, 0
    required = [c for c in applicable if c.required]
    met = sum(1 for c in required if criterion_met(c, accepted=accepted, verdicts=verdicts))
    if any(verdicts.get(c.key) == Verdict.OBJECTED for c in applicable):
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


def waiting_for(criterion: Criterion, *, accepted: set[str], verdicts: dict[str, str]) -> str:
    """What an applicable criterion still waits for; empty when it blocks nothing."""
    verdict = verdicts.get(criterion.key)
    if verdict == Verdict.OBJECTED:
        return "objection to resolve"
    if not criterion.required or criterion_met(criterion, accepted=accepted, verdicts=verdicts):
        return ""
    if criterion.key in accepted:
        return (
            "sign-off to re-confirm" if verdict in (EXPIRED, Verdict.TO_RECONFIRM) else "sign-off"
        )
    return "evidence and sign-off" if criterion.function else "evidence"


def pilot_blockers(pilots: list[Pilot]) -> dict[int, list[Blocker]]:
    """What blocks each pilot: the criteria of its version applying to its risk tier
    that are required and not met, or under an open objection, in gate order, each with
    the function expected to act (the deployment owner where evidence alone proves it).
    Three queries (four when a pilot follows the current version), whatever the number
    of pilots."""
    current = None
    if any(pilot.checklist_version_id is None for pilot in pilots):
        current = current_version()
    version_of = {
        pilot.id: pilot.checklist_version_id or (current.id if current else None)
        for pilot in pilots
    }
    criteria = criteria_of_versions(set(version_of.values()) - {None})
    accepted, verdicts = criteria_evidence_of([pilot.id for pilot in pilots])
    blockers: dict[int, list[Blocker]] = {}
    for pilot in pilots:
        blockers[pilot.id] = []
        for criterion in criteria.get(version_of[pilot.id], []):
            if not criterion.applies_to(pilot.risk_tier):
                continue
            waiting = waiting_for(
                criterion, accepted=accepted[pilot.id], verdicts=verdicts[pilot.id]
            )
            if waiting:
                function = criterion.get_function_display() if criterion.function else ""
                blockers[pilot.id].append(
                    Blocker(
                        gate=f"{criterion.gate.number}. {criterion.gate.name}",
                        criterion=criterion.text,
                        function=function or "Deployment owner",
                        waiting_for=waiting,
                    )
                )
    return blockers
