"""Checklist versions: every change of the criteria goes into a draft of the next
version; a governance admin publishes it and chooses which pilots move to it."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from gates.models import (
    ChecklistEvent,
    ChecklistEventKind,
    ChecklistVersion,
    Criterion,
    Gate,
    VersionStatus,
)
from gates.rules import is_governance_admin
from gates.selectors import MOVED_STAGES, MoveChoice, current_version, draft_version
from gates.services.readiness import readiness_refresh
from portfolio.models import Pilot, User
from portfolio.rules import refusal

# What a criterion's edit may change: everything but its version and key.
CRITERION_FIELDS = [
    "gate",
    "text",
    "required",
    "function",
    "validity_months",
    "applies_to_low",
    "applies_to_medium",
    "applies_to_high",
    "position",
]


def _require_admin(by: User | None) -> None:
    if by is not None and not is_governance_admin.test(by):
        raise PermissionDenied(refusal("gates.edit_checklist"))


@transaction.atomic
def checklist_draft_start(*, by: User | None) -> ChecklistVersion:
    """The draft of the next version: the one open, or a new copy of the current
    version's criteria (same keys, so evidence carries over)."""
    _require_admin(by)
    draft = draft_version()
    if draft is not None:
        return draft
    current = current_version()
    number = (ChecklistVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = ChecklistVersion.objects.create(number=number, status=VersionStatus.DRAFT)
    if current is not None:
        Criterion.objects.bulk_create(
            Criterion(
                version=draft, key=c.key, **{name: getattr(c, name) for name in CRITERION_FIELDS}
            )
            for c in current.criteria.all()
        )
    return draft


def _new_key(draft: ChecklistVersion, text: str) -> str:
    base = slugify(text)[:50] or "criterion"
    taken = set(
        Criterion.objects.filter(key__startswith=base).values_list("key", flat=True).distinct()
    )
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


@transaction.atomic
def criterion_draft_save(
    *, by: User | None, key: str = "", gate: Gate, text: str, **fields
) -> Criterion:
    """Add a criterion to the draft (no `key`), or change the draft's criterion `key`.
    A published version is never changed: the draft is started when none is open."""
    _require_admin(by)
    unknown = set(fields) - set(CRITERION_FIELDS)
    if unknown:
        raise ValidationError(f"Not a criterion's field: {', '.join(sorted(unknown))}.")
    draft = checklist_draft_start(by=by)
    if key:
        criterion = Criterion.objects.filter(version=draft, key=key).first()
        if criterion is None and not Criterion.objects.filter(key=key).exists():
            raise ValidationError("The checklist has no such criterion.")
        criterion = criterion or Criterion(version=draft, key=key)  # retired, brought back
    else:
        criterion = Criterion(version=draft, key=_new_key(draft, text))
    criterion.gate = gate
    criterion.text = text.strip()
    for name, value in fields.items():
        setattr(criterion, name, value)
    criterion.full_clean()
    criterion.save()
    return criterion


@transaction.atomic
def criterion_draft_remove(*, by: User | None, key: str) -> None:
    """Retire a criterion from the next version: removed from the draft only; the
    versions pilots follow keep it."""
    _require_admin(by)
    draft = checklist_draft_start(by=by)
    removed, _ = Criterion.objects.filter(version=draft, key=key).delete()
    if not removed:
        raise ValidationError("The draft has no such criterion.")


@transaction.atomic
def checklist_version_publish(
    *, version: ChecklistVersion, by: User | None, move: str, at: datetime | None = None
) -> list[int]:
    """Publish a draft and move the pilots `move` names (a `MoveChoice`) to it.

    1. The draft is claimed with a conditional update: published once, even by two
       admins at the same moment.
    2. The chosen pilots (those in the stages MOVED_STAGES gives, never those in
       production) move to it, each with a checklist event saying who moved it.
    3. Their readiness is derived again against it: evidence and sign-offs on criteria
       whose key survives carry over.
    Returns the ids of the pilots moved.
    """
    _require_admin(by)
    if move not in MoveChoice.values:
        raise ValidationError({"move": "Choose which pilots move to the new version."})
    at = at or timezone.now()
    if not version.criteria.exists():
        raise ValidationError("A version needs at least one criterion.")
    published = ChecklistVersion.objects.filter(id=version.id, status=VersionStatus.DRAFT).update(
        status=VersionStatus.PUBLISHED, published_at=at, published_by=by
    )
    if published != 1:
        raise ValidationError("This version has already been published.")
    version.refresh_from_db()
    moved = list(
        Pilot.objects.filter(stage__in=MOVED_STAGES[move])
        .exclude(checklist_version=version)
        .values_list("id", "checklist_version__number")
    )
    ids = [pilot_id for pilot_id, _ in moved]
    Pilot.objects.filter(id__in=ids).update(checklist_version=version)
    who = f" by {by}" if by else ""
    ChecklistEvent.objects.bulk_create(
        (
            ChecklistEvent(
                pilot_id=pilot_id,
                kind=ChecklistEventKind.MOVED,
                at=at,
                by=by,
                summary=f"Moved to checklist v{version.number}{who}"
                + (f" (from v{number})" if number else ""),
            )
            for pilot_id, number in moved
        ),
        batch_size=500,
    )
    # Pilots on no version followed the current one: they keep the one they had.
    previous = (
        ChecklistVersion.objects.filter(status=VersionStatus.PUBLISHED, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    if previous is not None:
        Pilot.objects.filter(checklist_version__isnull=True).exclude(id__in=ids).update(
            checklist_version=previous
        )
    readiness_refresh(pilot_ids=ids)
    return ids
