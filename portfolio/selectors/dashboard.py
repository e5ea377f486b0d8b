"""The dashboard: the pilot table's filters and sorts, and the portfolio's figures."""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from gates.models import (
    Gate,
    GateStatus,
    Readiness,
)
from portfolio.models import (
    CostCategory,
    CostLine,
    CostPhase,
    Decision,
    Outcome,
    Pilot,
    Stage,
    Waiver,
)
from portfolio.selectors.conditions import (
    blocked_condition,
    decided_condition,
    lapsed_condition,
    measured_value_condition,
    passed_all_gates_condition,
    past_end_condition,
    process_change_condition,
)
from portfolio.selectors.decisions_due import decision_due_condition
from portfolio.selectors.post_launch import (
    PostLaunchValue,
    post_launch_value_condition,
    post_launch_value_counts,
)
from portfolio.selectors.stalls import drifting_condition, stalled_condition, with_stall_flags

# Ages of stalled pilots, in days awaiting decision: (label, more than, at most).
STALL_AGE_BANDS = [
    ("up to 3 months", None, 90),
    ("3-6 months", 90, 182),
    ("6-12 months", 182, 365),
    ("over a year", 365, None),
]


def _stall_age_condition(as_of: date, above: int | None, at_most: int | None) -> Q:
    """Of the stalled pilots, those awaiting decision more than `above` days, at most
    `at_most` days."""
    condition = Q()
    if above is not None:
        condition &= Q(stage_entered_on__lt=as_of - timedelta(days=above))
    if at_most is not None:
        condition &= Q(stage_entered_on__gte=as_of - timedelta(days=at_most))
    return condition


def pilots_filter(
    queryset: QuerySet[Pilot],
    *,
    as_of: date,
    business_unit=None,
    stage: str = "",
    risk_tier: str = "",
    owner=None,
    state: str = "",
    readiness: str = "",
    blocked_gate: str = "",
    value: str = "",
    q: str = "",
) -> QuerySet[Pilot]:
    """The pilots that match the dashboard's filters, each a condition of the figures."""
    if business_unit:
        queryset = queryset.filter(business_unit=business_unit)
    if stage:
        queryset = queryset.filter(stage=stage)
    if risk_tier:
        queryset = queryset.filter(risk_tier=risk_tier)
    if owner:
        queryset = queryset.filter(deployment_owner=owner)
    states = {
        "stalled": stalled_condition(as_of),
        "drifting": drifting_condition(as_of),
        "stalling": stalled_condition(as_of) | drifting_condition(as_of),
        "past_end": past_end_condition(as_of),
        "decision_due": decision_due_condition(),
    }
    if state:
        queryset = queryset.filter(states[state])
    if readiness == "passed_all":
        queryset = queryset.filter(passed_all_gates_condition())
    elif readiness == "lapsed":
        queryset = queryset.filter(lapsed_condition())
    elif readiness == "blocked":
        queryset = queryset.filter(blocked_condition())
    if blocked_gate:
        queryset = queryset.filter(blocked_condition(blocked_gate))
    if value == "measured":
        queryset = queryset.filter(measured_value_condition())
    elif value == "process_change":
        queryset = queryset.filter(process_change_condition())
    elif value in PostLaunchValue.values:
        queryset = queryset.filter(post_launch_value_condition(value))
    if q:
        queryset = queryset.filter(
            Q(title__icontains=q)
            | Q(reference__icontains=q)
            | Q(summary__icontains=q)
            | Q(deployment_owner__name__icontains=q)
            | Q(deployment_owner__email__icontains=q)
        )
    return queryset


# Sort keys of the pilot table; a leading "-" reverses. "days" puts the longest
# in stage first.
SORTS = {
    "title": ["title", "id"],
    "unit": ["business_unit__name", "title", "id"],
    "stage": ["stage_order", "title", "id"],
    "owner": ["deployment_owner__name", "title", "id"],
    "days": ["stage_entered_on", "title", "id"],
}


def _stage_order() -> Case:
    return Case(
        *[When(stage=stage, then=Value(i)) for i, stage in enumerate(Stage.values)],
        output_field=IntegerField(),
    )


def pilot_table(*, as_of: date, sort: str = "title", **filters) -> QuerySet[Pilot]:
    """The dashboard's pilot table: filtered, sorted, with stall flags and gates."""
    fields = SORTS[sort.lstrip("-")]
    if sort.startswith("-"):
        fields = [f"-{fields[0]}", *fields[1:]]
    pilots = pilots_filter(Pilot.objects.all(), as_of=as_of, **filters)
    return (
        with_stall_flags(pilots, as_of=as_of)
        .select_related("business_unit", "deployment_owner", "decision_maker")
        .annotate(stage_order=_stage_order())
        .prefetch_related(
            Prefetch(
                "gate_statuses",
                queryset=GateStatus.objects.select_related("gate").order_by("gate__number"),
            )
        )
        .order_by(*fields)
    )


def _median_days_awaiting(*, as_of: date, count: int) -> int | None:
    if not count:
        return None
    middle = (count - 1) // 2
    entered = list(
        Pilot.objects.filter(stage=Stage.AWAITING_DECISION)
        .order_by("-stage_entered_on")
        .values_list("stage_entered_on", flat=True)[middle : count // 2 + 1]
    )
    return round(sum((as_of - day).days for day in entered) / len(entered))


def dashboard_figures(*, as_of: date) -> dict:
    """Every headline figure of the dashboard, in a fixed number of queries."""
    counts = Pilot.objects.aggregate(
        total=Count("id"),
        **{stage: Count("id", filter=Q(stage=stage)) for stage in Stage.values},
        drifting=Count("id", filter=drifting_condition(as_of)),
        passed_all=Count("id", filter=passed_all_gates_condition()),
        blocked=Count("id", filter=blocked_condition()),
        measured_value=Count("id", filter=measured_value_condition()),
        readiness_lapsed=Count("id", filter=lapsed_condition()),
        process_change=Count("id", filter=process_change_condition()),
        past_end=Count("id", filter=past_end_condition(as_of)),
        decision_due=Count("id", filter=decision_due_condition()),
        past_end_decided=Count("id", filter=past_end_condition(as_of) & decided_condition()),
        scaled_with_open_waivers=Count("id", filter=_scaled_with_open_waivers()),
        scaled_with_overdue_waivers=Count("id", filter=_scaled_with_open_waivers(due_before=as_of)),
    )
    ages = Pilot.objects.filter(stalled_condition(as_of)).aggregate(
        **{
            f"age_{i}": Count("id", filter=_stall_age_condition(as_of, above, at_most))
            for i, (_, above, at_most) in enumerate(STALL_AGE_BANDS)
        }
    )
    counts["stalled"] = sum(ages.values())
    post_launch = post_launch_value_counts()
    gate_counts = _gate_counts()
    costs = _costs_by_currency()
    past_end = counts["past_end"]
    return {
        "as_of": as_of,
        "stall_after_days": settings.STALL_AFTER_DAYS,
        "counts": counts,
        "by_stage": [(stage, counts[stage]) for stage in Stage],
        "stall_ages": [
            (label, ages[f"age_{i}"]) for i, (label, _, _) in enumerate(STALL_AGE_BANDS)
        ],
        "gates": gate_counts,
        "costs": costs,
        "cost_totals": {entry["currency"]: entry["totals"] for entry in costs},
        "post_launch": post_launch,
        "decision_rate": round(100 * counts["past_end_decided"] / past_end) if past_end else None,
        "median_days_awaiting": _median_days_awaiting(
            as_of=as_of, count=counts[Stage.AWAITING_DECISION]
        ),
    }


def _gate_counts() -> dict[str, dict[str, int]]:
    """Pilots per gate and readiness: one grouped scan of the gate statuses."""
    gate_keys = dict(Gate.objects.values_list("id", "key"))
    gate_counts = {key: dict.fromkeys(Readiness.values, 0) for key in gate_keys.values()}
    for gate_id, status, n in (
        GateStatus.objects.order_by().values_list("gate_id", "status").annotate(n=Count("id"))
    ):
        gate_counts[gate_keys[gate_id]][status] = n
    return gate_counts


def _costs_by_currency() -> list[dict]:
    """Cost totals per currency, category and phase: one grouped scan of the cost lines."""
    by_currency: dict[str, dict[str, dict[str, Decimal]]] = {}
    for currency, category, phase, total in (
        CostLine.objects.order_by()
        .values_list("currency", "category", "phase")
        .annotate(total=Sum("amount"))
    ):
        by_currency.setdefault(currency, {}).setdefault(category, {})[phase] = total
    return cost_entries(by_currency)


def cost_entries(by_currency: dict) -> list[dict]:
    """{currency: {category: {phase: total}}} as the dashboard shows it. Amounts in
    different currencies are never added together: each currency is its own entry,
    {"currency", "by_category": {category: {phase: total}}, "rows": [(label, {phase:
    total})], "totals": {phase: total}}, in the order of their codes."""
    entries = []
    for currency, given in sorted(by_currency.items()):
        costs = {
            category: {
                phase: given.get(category, {}).get(phase) or Decimal(0)
                for phase in CostPhase.values
            }
            for category in CostCategory.values
        }
        entries.append(
            {
                "currency": currency,
                "by_category": costs,
                "rows": [(category.label, costs[category]) for category in CostCategory],
                "totals": {
                    phase: sum((by_phase[phase] for by_phase in costs.values()), Decimal(0))
                    for phase in CostPhase.values
                },
            }
        )
    return entries


def stop_decisions(*, as_of: date | None = None) -> QuerySet[Decision]:
    """The decisions that stopped the pilots now stopped, latest first: every reason.
    As of a past day: the stop decisions taken by then that no later decision taken
    by then replaced (a stop is final, but a decision may be superseded)."""
    decisions = Decision.objects.filter(outcome=Outcome.STOP)
    if as_of is None:
        decisions = decisions.filter(pilot__stage=Stage.STOPPED)
    else:
        later = Decision.objects.filter(pilot=OuterRef("pilot"), decided_on__lte=as_of).filter(
            Q(decided_on__gt=OuterRef("decided_on"))
            | Q(decided_on=OuterRef("decided_on"), id__gt=OuterRef("id"))
        )
        decisions = decisions.filter(decided_on__lte=as_of).exclude(Exists(later))
    return decisions.select_related("pilot", "pilot__business_unit", "decided_by").order_by(
        "-decided_on", "-id"
    )


def _scaled_with_open_waivers(*, due_before: date | None = None) -> Q:
    """Scaling or in production with a waiver still open (and due before a day)."""
    waivers = Waiver.objects.filter(pilot=OuterRef("pk"), closed_on__isnull=True)
    if due_before is not None:
        waivers = waivers.filter(due_on__lt=due_before)
    return Q(stage__in=[Stage.SCALING, Stage.IN_PRODUCTION]) & Q(Exists(waivers))


def decisions_between(*, start: date, end: date) -> QuerySet[Decision]:
    return (
        Decision.objects.filter(decided_on__gte=start, decided_on__lte=end)
        .select_related("pilot", "pilot__business_unit", "decided_by")
        .order_by("-decided_on", "-id")
    )
