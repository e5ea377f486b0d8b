"""Writes for gates: evidence, reviews and sign-offs, the readiness derived from them,
checklist versions, and the daily expiry."""

from gates.services.evidence import (
    MATERIAL_FUNCTIONS,
    add_months,
    evidence_reconfirm,
    evidence_review,
    evidence_submit,
    signoff_record,
    signoffs_void,
    valid_until_of,
)
from gates.services.expiry import readiness_expiry_record
from gates.services.files import EVIDENCE_FILE_TYPES, MAX_EVIDENCE_FILE_BYTES, evidence_file_check
from gates.services.readiness import CHUNK, readiness_refresh
from gates.services.versions import (
    checklist_draft_start,
    checklist_version_publish,
    criterion_draft_remove,
    criterion_draft_save,
)

__all__ = [
    "CHUNK",
    "EVIDENCE_FILE_TYPES",
    "MATERIAL_FUNCTIONS",
    "MAX_EVIDENCE_FILE_BYTES",
    "add_months",
    "checklist_draft_start",
    "checklist_version_publish",
    "criterion_draft_remove",
    "criterion_draft_save",
    "evidence_file_check",
    "evidence_reconfirm",
    "evidence_review",
    "evidence_submit",
    "readiness_expiry_record",
    "readiness_refresh",
    "signoff_record",
    "signoffs_void",
    "valid_until_of",
]
