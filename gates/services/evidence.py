"""Evidence, its review, its re-confirmation, and the functions' sign-offs, with the day
each stops holding; a material change of the pilot voids the sign-offs it affects."""

import calendar
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from gates.models import Criterion, Evidence, EvidenceStatus, SignOff, Verdict
from gates.rules import is_evidence_reviewer, is_reviewer_of_function
from gates.selectors import criteria_evidence_of, criteria_of_versions, version_id_of
from gates.services.files import evidence_file_check
from gates.services.readiness import readiness_refresh
from portfolio.lib.dates import check_in_range
from portfolio.models import Function, Pilot, User
from portfolio.rules import can_edit_pilot, refusal

# The functions whose sign-offs a change of the pilot's scope or risk tier voids: what
# they signed off was judged on that scope and tier.
MATERIAL_FUNCTIONS = {Function.RISK, Function.SECURITY, Function.LEGAL}


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has fewer days."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def valid_until_of(criterion: Criterion, *, on: date, stated: date | None = None) -> date | None:
    """The first day evidence or a sign-off given `on` no longer holds: the criterion's
    validity after it, or the stated expiry, the earlier; None when neither."""
    days = [stated] if stated else []
    if criterion.validity_months:
        days.append(add_months(on, criterion.validity_months))
    return min(days) if days else None


def _check_applies(pilot: Pilot, criterion: Criterion) -> None:
    if criterion.version_id != version_id_of(pilot):
        raise ValidationError("This criterion is not on the pilot's version of the checklist.")
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
    expires_on: date | None = None,
    at: datetime | None = None,
) -> Evidence:
    """Record evidence for review; `expires_on`, when the submitter knows when it stops
    holding (a certificate's end), must come after the day it is given."""
    if not can_edit_pilot.test(by, pilot):
        raise PermissionDenied(refusal("portfolio.edit_pilot"))
    _check_applies(pilot, criterion)
    if not text.strip() and not link.strip() and not file:
        raise ValidationError("Evidence needs a text, a link or a file.")
    at = at or timezone.now()
    if expires_on is not None:
        check_in_range(expires_on)
        if expires_on <= timezone.localdate(at):
            raise ValidationError({"expires_on": "The expiry date must be after today."})
    if file:
        evidence_file_check(file)
    evidence = Evidence(
        pilot=pilot,
        criterion=criterion,
        text=text.strip(),
        link=link.strip(),
        file=file or "",
        expires_on=expires_on,
        submitted_by=by,
        submitted_at=at,
    )
    evidence.full_clean()
    evidence.save()
    return evidence


@transaction.atomic
def evidence_reconfirm(*, evidence: Evidence, by: User, at: datetime | None = None) -> Evidence:
    """The owner says accepted evidence still holds: the same text, link and file are
    submitted again, on the pilot's current criterion, for a reviewer to accept again
    (which starts its validity anew)."""
    if evidence.status != EvidenceStatus.ACCEPTED:
        raise ValidationError("Only accepted evidence can be confirmed as still holding.")
    pilot = evidence.pilot
    version_id = version_id_of(pilot)
    criterion = next(
        (
            c
            for c in criteria_of_versions({version_id})[version_id]
            if c.key == evidence.criterion.key
        ),
        None,
    )
    if criterion is None:
        raise ValidationError("This criterion is no longer on the pilot's checklist.")
    if not can_edit_pilot.test(by, pilot):
        raise PermissionDenied(refusal("portfolio.edit_pilot"))
    copy = Evidence(
        pilot=pilot,
        criterion=criterion,
        text=evidence.text or "The evidence accepted before still holds.",
        link=evidence.link,
        file=evidence.file.name,  # the same stored file, checked when it was first sent
        submitted_by=by,
        submitted_at=at or timezone.now(),
    )
    copy.full_clean()
    copy.save()
    return copy


@transaction.atomic
def evidence_review(
    *, evidence: Evidence, by: User, accept: bool, comment: str = "", at: datetime | None = None
) -> Evidence:
    """Accept or reject evidence. A verdict is final: new evidence supersedes it.
    Accepted evidence holds until the earlier of its stated expiry and its criterion's
    validity after acceptance.

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
    valid_until = None
    if accept:
        valid_until = valid_until_of(
            evidence.criterion, on=timezone.localdate(reviewed_at), stated=evidence.expires_on
        )
    changed = Evidence.objects.filter(id=evidence.id, status=EvidenceStatus.PENDING).update(
        status=status,
        reviewed_by=by,
        reviewed_at=reviewed_at,
        review_comment=comment.strip(),
        valid_until=valid_until,
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
    """Record a function's sign-off or objection; it supersedes the previous one. A
    sign-off holds for its criterion's validity period."""
    _check_applies(pilot, criterion)
    if not criterion.function:
        raise ValidationError("This criterion needs no sign-off: accepted evidence proves it.")
    if not is_reviewer_of_function.test(by, criterion):
        raise PermissionDenied(
            f"Only a {criterion.get_function_display()} stakeholder reviewer signs this "
            "criterion off. " + refusal("gates.review_criterion")
        )
    if verdict not in (Verdict.SIGNED_OFF, Verdict.OBJECTED):
        raise ValidationError({"verdict": "Sign off or object."})
    if verdict == Verdict.OBJECTED and not comment.strip():
        raise ValidationError({"comment": "An objection needs a comment saying what is wrong."})
    signed_at = at or timezone.now()
    signoff = SignOff(
        pilot=pilot,
        criterion=criterion,
        function=criterion.function,
        verdict=verdict,
        signed_by=by,
        signed_at=signed_at,
        comment=comment.strip(),
        valid_until=(
            valid_until_of(criterion, on=timezone.localdate(signed_at))
            if verdict == Verdict.SIGNED_OFF
            else None
        ),
    )
    signoff.full_clean()
    signoff.save()
    readiness_refresh(pilot_ids=[pilot.id])
    return signoff


def signoffs_void(*, pilot: Pilot, reason: str, by: User | None = None) -> int:
    """A material change of the pilot (its scope, success target or risk tier): the
    current sign-offs of the functions in MATERIAL_FUNCTIONS on its checklist return to
    "to re-confirm", with `reason`, appended like any verdict. Called inside the
    change's transaction; returns the number voided."""
    version_id = version_id_of(pilot)
    _, verdicts = criteria_evidence_of([pilot.id])
    voided = [
        SignOff(
            pilot=pilot,
            criterion=criterion,
            function=criterion.function,
            verdict=Verdict.TO_RECONFIRM,
            signed_by=by,
            signed_at=timezone.now(),
            comment=reason,
        )
        for criterion in criteria_of_versions({version_id}).get(version_id, [])
        if criterion.function in MATERIAL_FUNCTIONS
        and verdicts[pilot.id].get(criterion.key) == Verdict.SIGNED_OFF
    ]
    SignOff.objects.bulk_create(voided)
    if voided:
        readiness_refresh(pilot_ids=[pilot.id])
    return len(voided)
