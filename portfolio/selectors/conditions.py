"""Conditions on pilots shared by lists, figures and exports, each written once."""

from datetime import date

from django.db.models import (
    BooleanField,
    Case,
    F,
    Q,
    Value,
    When,
)

from gates.models import (
    GateStatus,
    Readiness,
)
from portfolio.models import (
    Decision,
    Direction,
    GateProgress,
    MetricReading,
    PathItem,
    PathKind,
    PathStatus,
    Stage,
)


def flag(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def passed_all_gates_condition() -> Q:
    """Every gate that applies passed (and at least one did)."""
    return Q(gate_progress=GateProgress.PASSED_ALL)


def blocked_condition(gate_key: str = "") -> Q:
    """Blocked (an open objection) at any gate, or at the given one."""
    if not gate_key:
        return Q(gate_progress=GateProgress.BLOCKED)
    blocked = GateStatus.objects.filter(status=Readiness.BLOCKED, gate__key=gate_key)
    return Q(pk__in=blocked.values("pilot_id"))


def measured_value_condition() -> Q:
    """In production with a reading of the success metric dated after go-live."""
    readings = MetricReading.objects.filter(measured_on__gt=F("metric__pilot__go_live_on"))
    return Q(stage=Stage.IN_PRODUCTION, pk__in=readings.values("metric__pilot_id"))


def process_change_condition() -> Q:
    """In production with a process change on its path done: durable process change."""
    changes = PathItem.objects.filter(kind=PathKind.PROCESS_CHANGE, status=PathStatus.DONE)
    return Q(stage=Stage.IN_PRODUCTION, pk__in=changes.values("pilot_id"))


def past_end_condition(as_of: date) -> Q:
    return Q(pilot_end_planned__lt=as_of)


def decided_condition() -> Q:
    return Q(pk__in=Decision.objects.values("pilot_id"))


def meets_target_condition(value: str) -> Q:
    """The pilot's value `value` (an annotation) meets its success metric's target, in
    the metric's direction (higher or lower is better)."""
    target = F("success_metric__target")
    return Q(success_metric__direction=Direction.INCREASE, **{f"{value}__gte": target}) | Q(
        success_metric__direction=Direction.DECREASE, **{f"{value}__lte": target}
    )
