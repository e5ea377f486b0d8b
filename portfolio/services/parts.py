"""Writes for what a pilot carries (metric, readings, path items, KPIs, conditions, costs)
and the edits of two people at once: a change made on values that changed meanwhile is
refused with `EditConflict`.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from gates.services import signoffs_void
from portfolio.lib.display import shown
from portfolio.models import (
    ConditionDecision,
    CostLine,
    MetricReading,
    PathItem,
    Pilot,
    PilotCondition,
    ProductionKpi,
    SuccessMetric,
    User,
)
from portfolio.rules import can_edit_pilot, refusal
from portfolio.services.decisions_due import (
    pilot_decision_due_check,
    pilots_decision_due_check,
)

# Rows inserted by one statement (within SQLite's variable limit).
BATCH = 500


@transaction.atomic
def metric_set(
    *,
    pilot: Pilot,
    name: str,
    direction: str,
    unit: str = "",
    baseline: Decimal | None = None,
    target: Decimal | None = None,
    by: User | None = None,
    version: str | None = None,
) -> SuccessMetric:
    """Define or change the pilot's success metric (`by` and `version` as in
    `pilot_update`)."""
    fields = _metric_fields(
        name=name, direction=direction, unit=unit, baseline=baseline, target=target
    )
    metric = SuccessMetric.objects.filter(pilot=pilot).first()
    if metric is None:
        return _part_create(SuccessMetric, of=pilot, by=by, pilot=pilot, **fields)
    return pilot_part_update(pilot=pilot, part=metric, by=by, version=version, **fields)


def _metric_fields(
    *, name: str, direction: str, unit: str, baseline: Decimal | None, target: Decimal | None
) -> dict:
    return {
        "name": name.strip(),
        "unit": unit.strip(),
        "direction": direction,
        "baseline": baseline,
        "target": target,
    }


def metric_new(
    *,
    name: str,
    direction: str,
    unit: str = "",
    baseline: Decimal | None = None,
    target: Decimal | None = None,
) -> SuccessMetric:
    """The success metric of a pilot still to be created (`pilots_create_many`), not
    saved, checked as `metric_set` checks it but for its pilot (not created yet, so it
    has no metric: nothing to look up)."""
    metric = SuccessMetric(
        **_metric_fields(
            name=name, direction=direction, unit=unit, baseline=baseline, target=target
        )
    )
    metric.full_clean(exclude=["pilot"], validate_unique=False)
    return metric


def metrics_create_many(*, metrics: list[SuccessMetric], by: User | None = None) -> None:
    """Save the metrics of pilots just created (`metric_new`, each with its `pilot`
    set), `BATCH` to a statement with their history rows (`by` their author), then
    whether each pilot's decision is due, all at once."""
    if by is not None:
        for metric in metrics:
            metric._history_user = by
    bulk_create_with_history(metrics, SuccessMetric, batch_size=BATCH, default_user=by)
    pilots_decision_due_check(
        pilots=[metric.pilot for metric in metrics], as_of=timezone.localdate()
    )


@transaction.atomic
def reading_add(
    *, pilot: Pilot, measured_on: date, value: Decimal, note: str = "", by: User | None = None
) -> MetricReading:
    metric = SuccessMetric.objects.filter(pilot=pilot).first()
    if metric is None:
        raise ValidationError("Define the success metric before recording readings.")
    return _part_create(
        MetricReading,
        of=pilot,
        by=by,
        metric=metric,
        measured_on=measured_on,
        value=value,
        note=note,
    )


def _part_create(model, *, of: Pilot, by: User | None = None, **fields):
    """Record a new part of the pilot `of`: with `by`, only if they may edit it, and
    as its author in the history."""
    obj = model(**fields)
    if by is not None:
        require_edit(of, by)
        obj._history_user = by
    obj.full_clean()
    obj.save()
    _numbers_changed(of, obj)
    return obj


def _numbers_changed(pilot: Pilot, part) -> None:
    """A reading or the metric's target changed: the decision may be due now."""
    if isinstance(part, MetricReading | SuccessMetric):
        pilot_decision_due_check(pilot=pilot, as_of=timezone.localdate())


def path_item_add(
    *,
    pilot: Pilot,
    kind: str,
    description: str,
    owner: User | None = None,
    status: str = "planned",
    by: User | None = None,
) -> PathItem:
    return _part_create(
        PathItem,
        of=pilot,
        by=by,
        pilot=pilot,
        kind=kind,
        description=description.strip(),
        owner=owner,
        status=status,
    )


def condition_add(
    *, pilot: Pilot, kind: str, description: str, decision: str = "", by: User | None = None
) -> PilotCondition:
    return _part_create(
        PilotCondition,
        of=pilot,
        by=by,
        pilot=pilot,
        kind=kind,
        description=description.strip(),
        decision=decision or ConditionDecision.UNDECIDED,
    )


def condition_decide(*, condition: PilotCondition, decision: str) -> PilotCondition:
    condition.decision = decision
    condition.full_clean()
    condition.save(update_fields=["decision"])
    return condition


def cost_line_add(
    *,
    pilot: Pilot,
    category: str,
    phase: str,
    amount: Decimal,
    currency: str = "EUR",
    note: str = "",
    by: User | None = None,
) -> CostLine:
    return _part_create(
        CostLine,
        of=pilot,
        by=by,
        pilot=pilot,
        category=category,
        phase=phase,
        amount=amount,
        currency=currency,
        note=note,
    )


def kpi_add(
    *,
    pilot: Pilot,
    kind: str,
    name: str,
    target: str = "",
    horizon_months: int = 12,
    by: User | None = None,
) -> ProductionKpi:
    return _part_create(
        ProductionKpi,
        of=pilot,
        by=by,
        pilot=pilot,
        kind=kind,
        name=name.strip(),
        target=target,
        horizon_months=horizon_months,
    )


# The parts of a pilot that its owners edit and remove in place.
PilotPart = SuccessMetric | MetricReading | ProductionKpi | PathItem | PilotCondition | CostLine


class EditConflict(ValidationError):
    """What the editor saw changed, or was removed, since they read it."""

    def __init__(self, message: str, *, current=None):
        super().__init__(message, code="conflict")
        self.current = current


CONFLICT_MESSAGE = (
    "Someone else changed this meanwhile, so your change was not saved. "
    "Here are the current values: make your change again on them."
)


def edit_version(obj, names: Iterable[str]) -> str:
    """A short fingerprint of the values of the fields `names` of `obj`."""
    values = [
        [name, str(getattr(obj, obj._meta.get_field(name).attname))] for name in sorted(names)
    ]
    return hashlib.blake2b(json.dumps(values).encode(), digest_size=8).hexdigest()


def part_version(part: "PilotPart") -> str:
    """The fingerprint of all of a part's fields: what a remove button carries."""
    return edit_version(part, _field_names(part))


def _field_names(obj) -> list[str]:
    return [field.name for field in obj._meta.concrete_fields if not field.primary_key]


def locked_current(obj, names: Iterable[str], version: str | None):
    """`obj` as it is now, its row locked until the transaction ends.

    Raises EditConflict when it was removed, or when the fields `names` no longer hold
    the values the editor saw (`version`; no check without it).
    """
    current = type(obj).objects.select_for_update().filter(pk=obj.pk).first()
    if current is None:
        raise EditConflict("Someone else removed this meanwhile; nothing was changed.")
    if version is not None and edit_version(current, names) != version:
        raise EditConflict(CONFLICT_MESSAGE, current=current)
    return current


def require_edit(pilot: Pilot, by: User) -> None:
    if not can_edit_pilot.test(by, pilot):
        raise PermissionDenied(refusal("portfolio.edit_pilot"))


def _part_pilot_id(part: PilotPart) -> int:
    return part.metric.pilot_id if isinstance(part, MetricReading) else part.pilot_id


@transaction.atomic
def pilot_part_update(
    *, pilot: Pilot, part: PilotPart, by: User | None = None, version: str | None = None, **fields
) -> PilotPart:
    """Change a part of the pilot (`by` and `version` as in `pilot_update`)."""
    if by is not None:
        require_edit(pilot, by)
    current = locked_current(part, fields, version)
    if _part_pilot_id(current) != pilot.id:
        raise ValidationError("This is not a part of that pilot.")
    if by is not None:
        current._history_user = by
    target_before = getattr(current, "target", None)
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    current.save(update_fields=list(fields))
    if isinstance(current, SuccessMetric) and current.target != target_before:
        # The success target is part of the scope the sign-offs were given on.
        reason = (
            f"success metric target changed from {shown(target_before)} to {shown(current.target)}"
        )
        signoffs_void(pilot=pilot, reason=f"To re-confirm: {reason}.", by=by)
    _numbers_changed(pilot, current)
    return current


@transaction.atomic
def pilot_part_remove(
    *, pilot: Pilot, part: PilotPart, by: User | None = None, version: str | None = None
) -> None:
    """Remove a part of the pilot; refused when it changed since the editor saw it
    (`version` over all its fields). The history keeps what it was."""
    if by is not None:
        require_edit(pilot, by)
    current = locked_current(part, _field_names(part), version)
    if _part_pilot_id(current) != pilot.id:
        raise ValidationError("This is not a part of that pilot.")
    if by is not None:
        current._history_user = by
    current.delete()
