"""Pilots, the people around them, and everything a pilot carries: one module per
kind of record, all imported here so Django and the rest of the code find them as
`portfolio.models`.

Rules that write or span models live in `portfolio/services/`; reads that matter
(stall state, dashboard figures) in `portfolio/selectors/`.
"""

from portfolio.models.alerts import (  # noqa: F401
    AlertDelivery,
    AlertKind,
    DeliveryStatus,
    DigestOptOut,
    Snooze,
    StallEvent,
    StallEventKind,
)
from portfolio.models.decisions_due import DecisionDue, DueCause  # noqa: F401
from portfolio.models.parts import (  # noqa: F401
    ConditionDecision,
    ConditionKind,
    CostCategory,
    CostLine,
    CostPhase,
    Direction,
    KpiKind,
    MetricReading,
    PathItem,
    PathKind,
    PathStatus,
    PilotCondition,
    ProductionKpi,
    SuccessMetric,
)
from portfolio.models.people import (  # noqa: F401
    BusinessUnit,
    Function,
    Role,
    User,
    UserManager,
)
from portfolio.models.pilots import (  # noqa: F401
    GateProgress,
    Pilot,
    RiskTier,
    Stage,
    StageChange,
)
from portfolio.models.records import (  # noqa: F401
    Decision,
    Deferral,
    ImmutableRecord,
    Outcome,
    RiskApproval,
    Waiver,
    risk_scope_of,
)
