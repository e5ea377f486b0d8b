"""Pilotgate's forms, one module per place they serve: `filters` (the dashboard and the
board report), `stage` (the stage panel), `parts` (a pilot and its parts)."""

from portfolio.forms.filters import (
    READINESS,
    SORT_CHOICES,
    STATES,
    VALUES,
    AsOfForm,
    PeriodForm,
    PilotFilterForm,
)
from portfolio.forms.parts import (
    EMPTY_CHOICES,
    ConditionForm,
    CostLineForm,
    KpiForm,
    MetricForm,
    PartForm,
    PathItemForm,
    PilotForm,
    ReadingForm,
    people,
)
from portfolio.forms.stage import (
    DecisionForm,
    DeferralForm,
    RiskApprovalForm,
    StageMoveForm,
)

__all__ = [
    "AsOfForm",
    "ConditionForm",
    "CostLineForm",
    "DecisionForm",
    "DeferralForm",
    "EMPTY_CHOICES",
    "KpiForm",
    "MetricForm",
    "PartForm",
    "PathItemForm",
    "PeriodForm",
    "PilotFilterForm",
    "PilotForm",
    "READINESS",
    "ReadingForm",
    "RiskApprovalForm",
    "SORT_CHOICES",
    "STATES",
    "StageMoveForm",
    "VALUES",
    "people",
]
