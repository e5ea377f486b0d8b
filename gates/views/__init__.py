"""The gates' pages: the checklist's actions on a pilot, and the checklist's versions."""

from gates.views.checklist import (
    evidence_add,
    evidence_file,
    evidence_reconfirm_record,
    evidence_review_record,
    signoff_add,
)
from gates.views.versions import (
    checklist_criterion_add,
    checklist_criterion_remove,
    checklist_draft,
    checklist_publish,
    checklist_versions,
)

__all__ = [
    "checklist_criterion_add",
    "checklist_criterion_remove",
    "checklist_draft",
    "checklist_publish",
    "checklist_versions",
    "evidence_add",
    "evidence_file",
    "evidence_reconfirm_record",
    "evidence_review_record",
    "signoff_add",
]
