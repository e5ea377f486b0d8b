"""The pilot page's reads."""

from datetime import date

from django.db.models import (
    Prefetch,
    QuerySet,
)

from gates.models import (
    GateStatus,
)
from portfolio.models import Decision, Deferral, PathItem, Pilot, RiskApproval, StageChange
from portfolio.selectors.charter import with_charter
from portfolio.selectors.decisions_due import with_decision_due
from portfolio.selectors.post_launch import with_post_launch_value
from portfolio.selectors.stalls import with_stall_state


def pilot_page_queryset(*, as_of: date) -> QuerySet[Pilot]:
    """A pilot with what its page shows, in a fixed number of queries."""
    pilots = with_stall_state(with_charter(Pilot.objects.all()), as_of=as_of)
    pilots = with_post_launch_value(with_decision_due(pilots))
    return pilots.select_related(
        "business_unit",
        "deployment_owner",
        "sponsor",
        "delivery_owner",
        "decision_maker",
        "risk_owner",
        "success_metric",
        "checklist_version",
    ).prefetch_related(
        "success_metric__readings",
        Prefetch("path_items", queryset=PathItem.objects.select_related("owner")),
        "production_kpis",
        "conditions",
        "cost_lines",
        Prefetch("gate_statuses", queryset=GateStatus.objects.select_related("gate")),
        Prefetch("stage_changes", queryset=StageChange.objects.select_related("changed_by")),
        Prefetch("decisions", queryset=Decision.objects.select_related("decided_by")),
        Prefetch("deferrals", queryset=Deferral.objects.select_related("deferred_by")),
        Prefetch("risk_approvals", queryset=RiskApproval.objects.select_related("approved_by")),
    )


def pilot_head_queryset(*, as_of: date) -> QuerySet[Pilot]:
    """A pilot with what its page's head shows (stage, stall state and signals, owner,
    the charter's answers), in one query: for the head swapped in after a change."""
    pilots = with_stall_state(with_charter(Pilot.objects.all()), as_of=as_of)
    return pilots.select_related("business_unit", "deployment_owner", "decision_maker")
