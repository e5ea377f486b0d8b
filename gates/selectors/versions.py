"""Checklist versions: the draft's changes against the current version, and the impact
of moving pilots to it (who would gain or lose which gate), before it is published."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models

from gates.models import ChecklistVersion, Criterion, Gate, GateStatus, Readiness, VersionStatus
from gates.selectors.readiness import (
    criteria_evidence_of,
    criteria_of_versions,
    current_version,
    gate_readiness,
)
from portfolio.models import Pilot, Stage

# Pilots are read this many at a time, so memory does not grow with the portfolio.
CHUNK = 500


class MoveChoice(models.TextChoices):
    """Which pilots a publication moves to the new version; never all silently."""

    NONE = "none", "None: only pilots proposed from now on follow it"
    NOT_STARTED = "not_started", "Pilots not yet started (proposed)"
    NOT_DECIDING = "not_deciding", "Pilots not yet awaiting a decision (proposed or piloting)"
    ALL_BUT_PRODUCTION = "all_but_production", "Every pilot but those in production"


MOVED_STAGES = {
    MoveChoice.NONE: set(),
    MoveChoice.NOT_STARTED: {Stage.PROPOSED},
    MoveChoice.NOT_DECIDING: {Stage.PROPOSED, Stage.PILOTING},
    MoveChoice.ALL_BUT_PRODUCTION: set(Stage.values) - {Stage.IN_PRODUCTION},
}


def draft_version() -> ChecklistVersion | None:
    return ChecklistVersion.objects.filter(status=VersionStatus.DRAFT).first()


_COMPARED = ["text", "gate_id", "required", "function", "validity_months", "position"]
_COMPARED += ["applies_to_low", "applies_to_medium", "applies_to_high"]


@dataclass
class VersionDiff:
    added: list[Criterion]
    removed: list[Criterion]
    changed: list[tuple[Criterion, Criterion]]  # (before, after)


def version_diff(*, version: ChecklistVersion, base: ChecklistVersion | None) -> VersionDiff:
    """What the version changes against `base` (the current version). One query."""
    criteria = criteria_of_versions({version.id} | ({base.id} if base else set()))
    before = {c.key: c for c in criteria.get(base.id, [])} if base else {}
    after = {c.key: c for c in criteria[version.id]}
    return VersionDiff(
        added=[c for key, c in after.items() if key not in before],
        removed=[c for key, c in before.items() if key not in after],
        changed=[
            (before[key], c)
            for key, c in after.items()
            if key in before
            and any(getattr(before[key], name) != getattr(c, name) for name in _COMPARED)
        ],
    )


@dataclass(frozen=True)
class ImpactRow:
    pilot_id: int
    title: str
    stage: str
    gate: Gate
    before: str  # a Readiness value
    after: str

    @property
    def gains(self) -> bool:
        return _passes(self.after)

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label

    @property
    def before_label(self) -> str:
        return Readiness(self.before).label

    @property
    def after_label(self) -> str:
        return Readiness(self.after).label


@dataclass
class VersionImpact:
    """Pilots whose gates would pass or stop passing if moved, grouped by stage."""

    rows: list[ImpactRow] = field(default_factory=list)
    by_stage: dict[str, dict[str, int]] = field(default_factory=dict)  # gained / lost
    moved_by_choice: dict[str, int] = field(default_factory=dict)  # pilots each choice moves

    def stage_rows(self) -> list[tuple[str, dict[str, int]]]:
        labels = dict(Stage.choices)
        return [(labels[stage], counts) for stage, counts in self.by_stage.items()]


def _passes(status: str) -> bool:
    return status in (Readiness.PASSED, Readiness.NOT_APPLICABLE)


def checklist_version_impact(*, version: ChecklistVersion) -> VersionImpact:
    """For every pilot not on `version`: each gate whose passing would change if the
    pilot moved to it (its gate statuses now against the version's criteria with the
    pilot's evidence), and how many pilots each move choice would move. Reads a chunk
    of pilots at a time: a fixed number of queries per CHUNK pilots."""
    current = current_version()
    gates = {gate.id: gate for gate in Gate.objects.all()}
    criteria = criteria_of_versions({version.id})[version.id]
    by_gate: dict[int, list[Criterion]] = defaultdict(list)
    for criterion in criteria:
        by_gate[criterion.gate_id].append(criterion)
    pilots = Pilot.objects.exclude(checklist_version=version)
    if current is None or current.id == version.id:
        pilots = pilots.exclude(checklist_version__isnull=True)
    impact = VersionImpact()
    ids = list(pilots.order_by("stage", "title", "id").values_list("id", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        _impact_of_chunk(impact, chunk, gates=gates, by_gate=by_gate)
    stages = dict(pilots.values_list("stage").annotate(n=models.Count("id")).order_by())
    impact.moved_by_choice = {
        choice: sum(n for stage, n in stages.items() if stage in MOVED_STAGES[choice])
        for choice in MoveChoice.values
    }
    return impact


def _impact_of_chunk(impact: VersionImpact, chunk: list[int], *, gates, by_gate) -> None:
    accepted, verdicts = criteria_evidence_of(chunk)
    now: dict[tuple[int, int], str] = {
        (pilot_id, gate_id): status
        for pilot_id, gate_id, status in GateStatus.objects.filter(pilot_id__in=chunk).values_list(
            "pilot_id", "gate_id", "status"
        )
    }
    rows = Pilot.objects.filter(id__in=chunk).values_list("id", "title", "stage", "risk_tier")
    for pilot_id, title, stage, tier in sorted(rows, key=lambda row: chunk.index(row[0])):
        for gate_id, gate in gates.items():
            after, _, _ = gate_readiness(
                criteria=by_gate.get(gate_id, []),
                tier=tier,
                accepted=accepted[pilot_id],
                verdicts=verdicts[pilot_id],
            )
            before = now.get((pilot_id, gate_id), Readiness.OPEN)
            if _passes(before) == _passes(after):
                continue
            row = ImpactRow(pilot_id, title, stage, gate, before, after)
            impact.rows.append(row)
            counts = impact.by_stage.setdefault(stage, {"gained": 0, "lost": 0})
            counts["gained" if row.gains else "lost"] += 1
