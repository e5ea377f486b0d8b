"""Reads about gates: readiness against a pilot's own checklist version, the checklist,
checklist versions and their impact, and what expires soon."""

from gates.selectors.checklist import WARN_DAYS, ChecklistGate, ChecklistItem, pilot_checklist
from gates.selectors.expiry import Expiring, expiring_soon
from gates.selectors.readiness import (
    EXPIRED,
    Blocker,
    accepted_of,
    criteria_evidence_of,
    criteria_of_versions,
    criterion_met,
    current_version,
    gate_readiness,
    holds,
    pilot_blockers,
    verdict_as_of,
    version_id_of,
)
from gates.selectors.versions import (
    MOVED_STAGES,
    MoveChoice,
    VersionImpact,
    checklist_version_impact,
    draft_version,
    version_diff,
)

__all__ = [
    "EXPIRED",
    "MOVED_STAGES",
    "WARN_DAYS",
    "Blocker",
    "ChecklistGate",
    "ChecklistItem",
    "Expiring",
    "MoveChoice",
    "VersionImpact",
    "accepted_of",
    "checklist_version_impact",
    "criteria_evidence_of",
    "criteria_of_versions",
    "criterion_met",
    "current_version",
    "draft_version",
    "expiring_soon",
    "gate_readiness",
    "holds",
    "pilot_blockers",
    "pilot_checklist",
    "verdict_as_of",
    "version_diff",
    "version_id_of",
]
