"""Writes for gates: evidence, reviews and sign-offs, and the readiness derived from them."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from gates.models import (
    Criterion,
    Evidence,
    EvidenceStatus,
    Gate,
    GateStatus,
    Readiness,
    SignOff,
    Verdict,
)
from gates.rules import is_evidence_reviewer, is_reviewer_of_function
from gates.selectors import criteria_evidence_of, gate_readiness
from portfolio.models import GateProgress, Pilot, User
from portfolio.rules import can_edit_pilot, refusal

# SQLite caps the number of parameters in one statement; stay well below it.
CHUNK = 500


MAX_EVIDENCE_FILE_BYTES = 10 * 1024 * 1024


_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # doc, xls, ppt


_ZIP = (b"PK\x03\x04",)  # docx, xlsx, pptx, odt, ods, odp


_TEXT = ()  # any bytes but NUL


# Extension -> (the content types a browser sends for it, how the file starts). The
# declared type and the first bytes must both fit: a renamed executable is refused.
EVIDENCE_FILE_TYPES: dict[str, tuple[set[str], tuple[bytes, ...]]] = {
    "pdf": ({"application/pdf"}, (b"%PDF-",)),
    "png": ({"image/png"}, (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ({"image/jpeg", "image/pjpeg"}, (b"\xff\xd8\xff",)),
    "jpeg": ({"image/jpeg", "image/pjpeg"}, (b"\xff\xd8\xff",)),
    "gif": ({"image/gif"}, (b"GIF87a", b"GIF89a")),
    "webp": ({"image/webp"}, (b"RIFF",)),
    "doc": ({"application/msword"}, _OLE),
    "xls": ({"application/vnd.ms-excel"}, _OLE),
    "ppt": ({"application/vnd.ms-powerpoint"}, _OLE),
    "docx": ({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}, _ZIP),
    "xlsx": ({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, _ZIP),
    "pptx": (
        {"application/vnd.openxmlformats-officedocument.presentationml.presentation"},
        _ZIP,
    ),
    "odt": ({"application/vnd.oasis.opendocument.text"}, _ZIP),
    "ods": ({"application/vnd.oasis.opendocument.spreadsheet"}, _ZIP),
    "odp": ({"application/vnd.oasis.opendocument.presentation"}, _ZIP),
    # Windows browsers send a CSV file as an Excel one.
    "csv": ({"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}, _TEXT),
    "txt": ({"text/plain"}, _TEXT),
}


def evidence_file_check(file: UploadedFile) -> None:
    """Refuse a file that is too large, or whose extension, declared content type or
    first bytes are not those of an allowed kind of document."""
    allowed = ", ".join(EVIDENCE_FILE_TYPES)
    extension = PurePath(file.name or "").suffix.lower().lstrip(".")
    if extension not in EVIDENCE_FILE_TYPES:
        raise ValidationError(
            {"file": f"Files of this type are not accepted; send one of: {allowed}."}
        )
    if file.size > MAX_EVIDENCE_FILE_BYTES:
        raise ValidationError({"file": "The file is larger than 10 MB."})
    content_types, signatures = EVIDENCE_FILE_TYPES[extension]
    file.seek(0)
    head = file.read(2048)
    file.seek(0)
    if signatures:
        fits = any(head.startswith(signature) for signature in signatures)
    else:
        fits = b"\x00" not in head
    if (file.content_type or "").lower() not in content_types or not fits:
        raise ValidationError(
            {"file": f"The file's content is not a .{extension} file; send one of: {allowed}."}
        )


def readiness_refresh(*, pilot_ids: Iterable[int] | None = None) -> int:
    """Recompute every gate status of the given pilots (all pilots when None).

    Reads criteria, accepted evidence and current sign-offs a chunk of pilots at a
    time, so the number of queries depends on the number of chunks, not of pilots.
    Returns the number of gate statuses written.
    """
    gates = list(Gate.objects.prefetch_related("criteria"))
    if pilot_ids is None:
        pilot_ids = Pilot.objects.values_list("id", flat=True).order_by("id")
    ids = list(pilot_ids)
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        accepted, verdicts = criteria_evidence_of(chunk)
        statuses = []
        for pilot_id, tier in Pilot.objects.filter(id__in=chunk).values_list("id", "risk_tier"):
            for gate in gates:
                status, met, required = gate_readiness(
                    criteria=list(gate.criteria.all()),
                    tier=tier,
                    accepted=accepted[pilot_id],
                    verdicts=verdicts[pilot_id],
                )
                statuses.append(
                    GateStatus(
                        pilot_id=pilot_id,
                        gate=gate,
                        status=status,
                        criteria_met=met,
                        criteria_required=required,
                    )
                )
        _gate_progress_write(statuses)
        GateStatus.objects.bulk_create(
            statuses,
            batch_size=CHUNK,
            update_conflicts=True,
            unique_fields=["pilot", "gate"],
            update_fields=["status", "criteria_met", "criteria_required"],
        )
        written += len(statuses)
    return written


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


def _check_applies(pilot: Pilot, criterion: Criterion) -> None:
    if not criterion.applies_to(pilot.risk_tier):
        raise ValidationError(
            f"This criterion does not apply to a {pilot.get_risk_tier_display().lower()} "
            "risk pilot."
        )


@transaction.atomic
def evidence_submit(
    *,
    pilot: Pilot,
    criterion: Criterion,
    by: User,
    text: str = "",
    link: str = "",
    file: UploadedFile | None = None,
    at: datetime | None = None,
) -> Evidence:
    if not can_edit_pilot.test(by, pilot):
        raise PermissionDenied(refusal("portfolio.edit_pilot"))
    _check_applies(pilot, criterion)
    if not text.strip() and not link.strip() and not file:
        raise ValidationError("Evidence needs a text, a link or a file.")
    if file:
        evidence_file_check(file)
    evidence = Evidence(
        pilot=pilot,
        criterion=criterion,
        text=text.strip(),
        link=link.strip(),
        file=file or "",
        submitted_by=by,
        submitted_at=at or timezone.now(),
    )
    evidence.full_clean()
    evidence.save()
    return evidence


@transaction.atomic
def evidence_review(
    *, evidence: Evidence, by: User, accept: bool, comment: str = "", at: datetime | None = None
) -> Evidence:
    """Accept or reject evidence. A verdict is final: new evidence supersedes it.

    The update is conditional on the evidence still pending, so two reviewers acting
    at once cannot both give a verdict. Only a reviewer of the criterion's function
    (`gates.review_evidence`) gives one.
    """
    if not is_evidence_reviewer.test(by, evidence.criterion):
        raise PermissionDenied(refusal("gates.review_evidence"))
    if not accept and not comment.strip():
        raise ValidationError({"review_comment": "Say why the evidence is rejected."})
    status = EvidenceStatus.ACCEPTED if accept else EvidenceStatus.REJECTED
    reviewed_at = at or timezone.now()
    changed = Evidence.objects.filter(id=evidence.id, status=EvidenceStatus.PENDING).update(
        status=status, reviewed_by=by, reviewed_at=reviewed_at, review_comment=comment.strip()
    )
    if changed != 1:
        raise ValidationError("This evidence has already been reviewed.")
    evidence.refresh_from_db()
    readiness_refresh(pilot_ids=[evidence.pilot_id])
    return evidence


@transaction.atomic
def signoff_record(
    *,
    pilot: Pilot,
    criterion: Criterion,
    by: User,
    verdict: str,
    comment: str = "",
    at: datetime | None = None,
) -> SignOff:
    """Record a function's sign-off or objection; it supersedes the previous one."""
    _check_applies(pilot, criterion)
    if not criterion.function:
        raise ValidationError("This criterion needs no sign-off: accepted evidence proves it.")
    if not is_reviewer_of_function.test(by, criterion):
        raise PermissionDenied(
            f"Only a {criterion.get_function_display()} stakeholder reviewer signs this "
            "criterion off. " + refusal("gates.review_criterion")
        )
    if verdict == Verdict.OBJECTED and not comment.strip():
        raise ValidationError({"comment": "An objection needs a comment saying what is wrong."})
    signoff = SignOff(
        pilot=pilot,
        criterion=criterion,
        function=criterion.function,
        verdict=verdict,
        signed_by=by,
        signed_at=at or timezone.now(),
        comment=comment.strip(),
    )
    signoff.full_clean()
    signoff.save()
    readiness_refresh(pilot_ids=[pilot.id])
    return signoff
