"""A pilot's timeline: its history and its records, newest first."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.text import capfirst

from gates.models import (
    Evidence,
    SignOff,
    Verdict,
)
from portfolio.lib.display import shown
from portfolio.models import (
    CostLine,
    Decision,
    Deferral,
    MetricReading,
    PathItem,
    Pilot,
    PilotCondition,
    ProductionKpi,
    StageChange,
    SuccessMetric,
)


@dataclass(frozen=True)
class FieldChange:
    field: str  # the field's label, e.g. "Deployment owner"
    old: str
    new: str


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime  # when it was recorded in Pilotgate
    by: str  # who recorded it; empty when unknown (a command, an import)
    summary: str
    kind: str  # change, stage, decision, deferral, review or signoff
    detail: str = ""  # the reason, rationale or comment given
    changes: tuple[FieldChange, ...] = ()
    dated: date | None = None  # the date the record gives itself, when not the day recorded


# The models whose every save is kept (`HistoricalRecords`), each with what names one
# of its historical rows on the timeline.
_HISTORY_SUBJECTS = {
    Pilot: lambda row: "Pilot",
    SuccessMetric: lambda row: f"Success metric “{row.name}”",
    MetricReading: lambda row: f"Reading {shown(row.value)} of {shown(row.measured_on)}",
    ProductionKpi: lambda row: f"Production KPI “{row.name}”",
    PathItem: lambda row: f"Path item “{row.description}”",
    PilotCondition: lambda row: f"Pilot condition “{row.description}”",
    CostLine: lambda row: (
        f"Cost line {row.get_category_display()}, {row.get_phase_display()}: "
        f"{shown(row.amount)} {row.currency}"
    ),
    Evidence: lambda row: f"Evidence for “{row.criterion.text}”" if row.criterion else "Evidence",
}


# Fields left out of the changes shown: the links to the pilot (they do not change),
# and what has its own entry (the stage: a stage change; a verdict on evidence).
_NOT_SHOWN = {"id", "pilot", "metric", "criterion", "created_at"}


_NOT_SHOWN_OF = {
    Pilot: {"stage", "stage_entered_on"},
    Evidence: {
        "submitted_by",
        "submitted_at",
        "status",
        "reviewed_by",
        "reviewed_at",
        "review_comment",
    },
}


_HISTORY_VERBS = {"+": "added", "~": "changed", "-": "removed"}


def _pilot_history_rows(pilot: Pilot) -> list[tuple[type, list]]:
    """The historical rows of the pilot and of its parts, including parts since
    removed: one query per model, each in object then time order."""
    metric_ids = SuccessMetric.history.model.objects.filter(pilot_id=pilot.id).values("id")
    rows = []
    for model in _HISTORY_SUBJECTS:
        history = model.history.model.objects.select_related("history_user")
        if model is Pilot:
            history = history.filter(id=pilot.id)
        elif model is MetricReading:
            history = history.filter(metric_id__in=metric_ids)
        else:
            history = history.filter(pilot_id=pilot.id)
        if model is Evidence:
            history = history.select_related("criterion", "submitted_by")
        rows.append((model, list(history.order_by("id", "history_date", "history_id"))))
    return rows


def _shown(field, value, related: dict) -> str:
    """A field's value as the timeline shows it (the template escapes it)."""
    if value is None or value == "":
        return shown(value)
    if field.is_relation:
        obj = related.get((field.related_model, value))
        return str(obj) if obj is not None else "(removed)"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return shown(value)


def _history_entries(pilot: Pilot) -> list[TimelineEntry]:
    """One entry per historical row that adds, removes or really changes something.

    Each row is compared with the previous row of the same object, fetched in the same
    query, so comparing costs no query. The people and units the changes name are
    read at the end, one query per kind.
    """
    deltas = []
    wanted: dict[type, set] = {}
    for model, rows in _pilot_history_rows(pilot):
        not_shown = _NOT_SHOWN | _NOT_SHOWN_OF.get(model, set())
        previous = None
        for row in rows:
            changes = []
            if row.history_type == "~" and previous is not None and previous.id == row.id:
                delta = row.diff_against(previous, excluded_fields=not_shown)
                changes = delta.changes
                if not changes:
                    previous = row
                    continue
            for change in changes:
                field = model._meta.get_field(change.field)
                if field.is_relation:
                    wanted.setdefault(field.related_model, set()).update({change.old, change.new})
            deltas.append((model, row, changes))
            previous = row
    related = {
        (related_model, pk): obj
        for related_model, ids in wanted.items()
        for pk, obj in related_model.objects.in_bulk(ids - {None}).items()
    }
    entries = []
    for model, row, changes in deltas:
        verb = _HISTORY_VERBS[row.history_type]
        if row.history_type == "+":
            verb = {Pilot: "recorded", Evidence: "submitted"}.get(model, verb)
        order = [field.name for field in model._meta.fields]
        changes = sorted(changes, key=lambda change: order.index(change.field))
        at, by = row.history_date, row.history_user
        if model is Evidence and row.history_type == "+":
            # As its verdict and sign-off are: at the time the submission gives itself
            # (the same, unless recorded afterwards like the demo's), by its author.
            at, by = row.submitted_at, by or row.submitted_by
        entries.append(
            TimelineEntry(
                at=at,
                by=str(by or ""),
                summary=f"{_HISTORY_SUBJECTS[model](row)} {verb}",
                kind="change",
                detail=row.history_change_reason or "",  # e.g. why a risk tier was lowered
                changes=tuple(_field_change(model, change, related) for change in changes),
            )
        )
    return entries


def _field_change(model: type, change, related: dict) -> FieldChange:
    field = model._meta.get_field(change.field)
    return FieldChange(
        field=capfirst(field.verbose_name),
        old=_shown(field, change.old, related),
        new=_shown(field, change.new, related),
    )


def _dated(day: date, at: datetime) -> date | None:
    return day if day != timezone.localdate(at) else None


def _record_entries(pilot: Pilot) -> list[TimelineEntry]:
    """The pilot's immutable records and the verdicts on its evidence: one query each."""
    return _stage_entries(pilot) + _decision_entries(pilot) + _gate_entries(pilot)


def _stage_entries(pilot: Pilot) -> list[TimelineEntry]:
    entries = []
    for change in StageChange.objects.filter(pilot=pilot).select_related("changed_by"):
        if change.from_stage:
            summary = f"Stage {change.get_from_stage_display()} → {change.get_to_stage_display()}"
        else:
            summary = f"Stage {change.get_to_stage_display()}"
        entries.append(
            TimelineEntry(
                at=change.recorded_at,
                by=str(change.changed_by or ""),
                summary=summary,
                kind="stage",
                detail=change.reason,
                dated=_dated(change.changed_on, change.recorded_at),
            )
        )
    return entries


def _decision_entries(pilot: Pilot) -> list[TimelineEntry]:
    entries = []
    for decision in Decision.objects.filter(pilot=pilot).select_related("decided_by"):
        conditions = f" Conditions: {decision.conditions}" if decision.conditions else ""
        entries.append(
            TimelineEntry(
                at=decision.recorded_at,
                by=str(decision.decided_by),
                summary=f"Decision: {decision.get_outcome_display()}",
                kind="decision",
                detail=decision.rationale + conditions,
                dated=_dated(decision.decided_on, decision.recorded_at),
            )
        )
    for deferral in Deferral.objects.filter(pilot=pilot).select_related("deferred_by"):
        entries.append(
            TimelineEntry(
                at=deferral.recorded_at,
                by=str(deferral.deferred_by),
                summary="Decision deferred",
                kind="deferral",
                detail=deferral.reason,
                dated=_dated(deferral.deferred_on, deferral.recorded_at),
            )
        )
    return entries


def _gate_entries(pilot: Pilot) -> list[TimelineEntry]:
    entries = []
    reviewed = Evidence.objects.filter(pilot=pilot, reviewed_at__isnull=False)
    for evidence in reviewed.select_related("reviewed_by", "criterion"):
        entries.append(
            TimelineEntry(
                at=evidence.reviewed_at,
                by=str(evidence.reviewed_by or ""),
                summary=(
                    f"Evidence for “{evidence.criterion.text}” "
                    f"{evidence.get_status_display().lower()}"
                ),
                kind="review",
                detail=evidence.review_comment,
            )
        )
    for signoff in SignOff.objects.filter(pilot=pilot).select_related("signed_by", "criterion"):
        verb = "signed off" if signoff.verdict == Verdict.SIGNED_OFF else "objected to"
        entries.append(
            TimelineEntry(
                at=signoff.signed_at,
                by=str(signoff.signed_by),
                summary=f"{signoff.get_function_display()} {verb} “{signoff.criterion.text}”",
                kind="signoff",
                detail=signoff.comment,
            )
        )
    return entries


def pilot_timeline(*, pilot: Pilot) -> list[TimelineEntry]:
    """Everything that happened to a pilot and its parts, newest first: who, when and
    what changed. A fixed number of queries, whatever the number of entries."""
    entries = _history_entries(pilot) + _record_entries(pilot)
    # Oldest first, then reversed: of entries recorded at the same instant, the record
    # a change led to (a decision, then its stage change) comes above the change.
    return sorted(entries, key=lambda entry: entry.at)[::-1]
