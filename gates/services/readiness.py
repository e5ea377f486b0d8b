"""The readiness derived from evidence and sign-offs: each pilot's gate statuses against
its own checklist version, its overall gate progress, and a live system's lapse."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.utils import timezone

from gates.models import ChecklistEvent, ChecklistEventKind, Gate, GateStatus, Readiness
from gates.selectors import (
    criteria_evidence_of,
    criteria_of_versions,
    current_version,
    gate_readiness,
)
from portfolio.models import GateProgress, Pilot, Stage

# SQLite caps the number of parameters in one statement; stay well below it.
CHUNK = 500

# The gate whose lapse on a live system is shown as "readiness lapsed".
LAPSE_GATE = "governance"


def readiness_refresh(*, pilot_ids: Iterable[int] | None = None, as_of: date | None = None) -> int:
    """Recompute every gate status of the given pilots (all pilots when None) against
    each one's checklist version, with the evidence and sign-offs valid on `as_of`
    (today by default).

    Reads evidence and current sign-offs a chunk of pilots at a time, so the number of
    queries depends on the number of chunks, not of pilots. A pilot in production whose
    governance gate passed and no longer does is marked lapsed, with a checklist event.
    Returns the number of gate statuses written.
    """
    as_of = as_of or timezone.localdate()
    gates = list(Gate.objects.all())
    current = current_version()
    criteria_by_gate: dict[int, dict[int, list]] = {}  # version id -> gate id -> criteria
    if pilot_ids is None:
        pilot_ids = Pilot.objects.values_list("id", flat=True).order_by("id")
    ids = list(pilot_ids)
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        pilots = list(
            Pilot.objects.filter(id__in=chunk).values_list(
                "id", "risk_tier", "checklist_version_id", "stage", "readiness_lapsed"
            )
        )
        versions = {version or (current and current.id) for _, _, version, _, _ in pilots}
        missing = versions - set(criteria_by_gate) - {None}
        for version_id, criteria in criteria_of_versions(missing).items():
            criteria_by_gate[version_id] = defaultdict(list)
            for criterion in criteria:
                criteria_by_gate[version_id][criterion.gate_id].append(criterion)
        accepted, verdicts = criteria_evidence_of(chunk, as_of=as_of)
        statuses = [
            _gate_status(pilot_id, gate, by_gate, tier, accepted[pilot_id], verdicts[pilot_id])
            for pilot_id, tier, version_id, _, _ in pilots
            for by_gate in [criteria_by_gate.get(version_id or (current and current.id), {})]
            for gate in gates
        ]
        _gate_progress_write(statuses)
        _lapses_write(pilots, statuses, gates)
        GateStatus.objects.bulk_create(
            statuses,
            batch_size=CHUNK,
            update_conflicts=True,
            unique_fields=["pilot", "gate"],
            update_fields=["status", "criteria_met", "criteria_required", "updated_at"],
        )
        written += len(statuses)
    return written


def _gate_status(pilot_id, gate, by_gate, tier, accepted, verdicts) -> GateStatus:
    status, met, required = gate_readiness(
        criteria=by_gate.get(gate.id, []), tier=tier, accepted=accepted, verdicts=verdicts
    )
    return GateStatus(
        pilot_id=pilot_id,
        gate=gate,
        status=status,
        criteria_met=met,
        criteria_required=required,
    )


def _gate_progress_write(statuses: list[GateStatus]) -> None:
    """Write each pilot's overall gate progress from its gate statuses: blocked when a
    gate is blocked, passed all when no gate is open and one at least passed."""
    by_pilot: dict[int, set[str]] = defaultdict(set)
    for status in statuses:
        by_pilot[status.pilot_id].add(status.status)
    progress: dict[str, list[int]] = defaultdict(list)
    for pilot_id, found in by_pilot.items():
        if Readiness.BLOCKED in found:
            progress[GateProgress.BLOCKED].append(pilot_id)
        elif Readiness.OPEN not in found and Readiness.PASSED in found:
            progress[GateProgress.PASSED_ALL].append(pilot_id)
        else:
            progress[GateProgress.OPEN].append(pilot_id)
    for value, pilot_ids in progress.items():
        Pilot.objects.filter(id__in=pilot_ids).update(gate_progress=value)


def _lapses_write(pilots: list[tuple], statuses: list[GateStatus], gates: list[Gate]) -> None:
    """Before the new statuses are written: a pilot in production whose governance gate
    passed and no longer passes lapses (one event); one whose gate passes again, or
    that left production, no longer shows lapsed. Two queries and the writes."""
    gate = next((gate for gate in gates if gate.key == LAPSE_GATE), None)
    if gate is None:
        return
    live = [pilot_id for pilot_id, _, _, stage, _ in pilots if stage == Stage.IN_PRODUCTION]
    passed_before = set(
        GateStatus.objects.filter(
            pilot_id__in=live, gate=gate, status=Readiness.PASSED
        ).values_list("pilot_id", flat=True)
    )
    passes_now = {
        status.pilot_id
        for status in statuses
        if status.gate is gate and status.status == Readiness.PASSED
    }
    was_lapsed = {pilot_id for pilot_id, _, _, _, lapsed in pilots if lapsed}
    newly = (passed_before - passes_now) - was_lapsed
    still = (was_lapsed & set(live)) - passes_now
    cleared = was_lapsed - still
    if newly:
        Pilot.objects.filter(id__in=newly).update(readiness_lapsed=True)
        now = timezone.now()
        ChecklistEvent.objects.bulk_create(
            ChecklistEvent(
                pilot_id=pilot_id,
                kind=ChecklistEventKind.LAPSED,
                at=now,
                summary=f"Readiness lapsed: the {gate.name} gate no longer passes",
            )
            for pilot_id in newly
        )
    if cleared:
        Pilot.objects.filter(id__in=cleared).update(
            readiness_lapsed=False, updated_at=timezone.now()
        )
