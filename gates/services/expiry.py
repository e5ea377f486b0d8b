"""The daily expiry: evidence and sign-offs past their validity stop counting, each
pilot's readiness is derived again, and its history says what expired."""

from datetime import date, datetime, time
from itertools import islice

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from gates.models import (
    ChecklistEvent,
    ChecklistEventKind,
    Evidence,
    EvidenceStatus,
    SignOff,
    Verdict,
)
from gates.services.readiness import readiness_refresh
from portfolio.models import Function

EVENT_BATCH = 1000


def _expired_evidence(as_of: date):
    """Accepted evidence past its validity on `as_of`, not yet recorded as expired and
    not superseded by later accepted evidence on the same criterion."""
    later = Evidence.objects.filter(
        pilot_id=OuterRef("pilot_id"),
        criterion__key=OuterRef("criterion__key"),
        status=EvidenceStatus.ACCEPTED,
        id__gt=OuterRef("id"),
    )
    recorded = ChecklistEvent.objects.filter(
        evidence_id=OuterRef("id"), kind=ChecklistEventKind.EXPIRED
    )
    return (
        Evidence.objects.filter(status=EvidenceStatus.ACCEPTED, valid_until__lte=as_of)
        .exclude(Exists(later))
        .exclude(Exists(recorded))
        .values_list("id", "pilot_id", "criterion__text")
    )


def _expired_signoffs(as_of: date):
    """Current sign-offs past their validity on `as_of`, not yet recorded as expired."""
    later = SignOff.objects.filter(
        pilot_id=OuterRef("pilot_id"),
        criterion__key=OuterRef("criterion__key"),
        id__gt=OuterRef("id"),
    )
    recorded = ChecklistEvent.objects.filter(
        signoff_id=OuterRef("id"), kind=ChecklistEventKind.EXPIRED
    )
    return (
        SignOff.objects.filter(verdict=Verdict.SIGNED_OFF, valid_until__lte=as_of)
        .exclude(Exists(later))
        .exclude(Exists(recorded))
        .values_list("id", "pilot_id", "criterion__text", "function")
    )


@transaction.atomic
def readiness_expiry_record(*, as_of: date) -> dict[str, int]:
    """Record, dated `as_of`, the evidence and sign-offs that stopped holding, and derive
    again the readiness of their pilots. Returns how many of each expired and the number
    of pilots whose readiness was derived again.

    1. Two queries select what expired and is not yet recorded: rows of ids and texts,
       no model objects; evidence or a sign-off superseded by a later one is left alone.
    2. One event each, inserted EVENT_BATCH at a time; the unique constraints (each
       evidence and sign-off expires once) make a run at the same moment insert nothing
       twice, and the next run finds nothing left.
    3. `readiness_refresh` of those pilots only, a chunk of them at a time.
    """
    at = timezone.make_aware(datetime.combine(as_of, time.min))
    evidence = list(_expired_evidence(as_of))
    signoffs = list(_expired_signoffs(as_of))
    evidence_events = (
        ChecklistEvent(
            pilot_id=pilot_id,
            kind=ChecklistEventKind.EXPIRED,
            at=at,
            evidence_id=evidence_id,
            summary=f"Evidence for “{text}” expired: it no longer meets the criterion",
        )
        for evidence_id, pilot_id, text in evidence
    )
    signoff_events = (
        ChecklistEvent(
            pilot_id=pilot_id,
            kind=ChecklistEventKind.EXPIRED,
            at=at,
            signoff_id=signoff_id,
            summary=f"{Function(function).label} sign-off of “{text}” expired: to re-confirm",
        )
        for signoff_id, pilot_id, text, function in signoffs
    )
    # Built and inserted a batch at a time: memory stays flat however many expire.
    for events in (evidence_events, signoff_events):
        while batch := list(islice(events, EVENT_BATCH)):
            ChecklistEvent.objects.bulk_create(batch, ignore_conflicts=True)
    pilot_ids = sorted({row[1] for row in evidence} | {row[1] for row in signoffs})
    readiness_refresh(pilot_ids=pilot_ids, as_of=as_of)
    evidence_count = len(evidence)
    return {
        "evidence": evidence_count,
        "signoffs": len(signoffs),
        "pilots": len(pilot_ids),
    }
