"""Reads that carry rules: charter completeness, stall state and the portfolio export.

Each is a set-based query (annotations and aggregates), so its number of queries
does not grow with the number of pilots.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import dateformat, timezone
from django.utils.text import capfirst

from gates.models import (
    Criterion,
    Evidence,
    EvidenceStatus,
    Gate,
    GateKind,
    GateStatus,
    Readiness,
    SignOff,
    Verdict,
)
from gates.services import criteria_evidence_of, criterion_met
from portfolio.models import (
    OPEN_STAGES,
    AlertKind,
    CostCategory,
    CostLine,
    CostPhase,
    Decision,
    Deferral,
    GateProgress,
    MetricReading,
    Outcome,
    PathItem,
    PathKind,
    PathStatus,
    Pilot,
    PilotCondition,
    ProductionKpi,
    Role,
    Snooze,
    Stage,
    StageChange,
    StallEvent,
    StallEventKind,
    SuccessMetric,
    User,
)

# The charter's three questions, as the refusal to start a pilot names them.
CHARTER_QUESTIONS = {
    "has_owner": "who is accountable for deployment (a named deployment owner)",
    "has_metric": "what success looks like (a success metric with baseline and target)",
    "has_path": "the path to production (at least one path-to-production item)",
}

# The five warning signals of a stalling deployment (DOMAIN.md, "Stalls").
SIGNALS = {
    "deferred_decision": "Decision deferred twice or more",
    "conflicting_objections": "Open objections from two or more functions",
    "organisational_gates_open": "Technical gates pass, organisational gates do not",
    "almost_ready_too_long": "Almost ready for too long",
    "no_decision_maker": "Nobody named to make the final call",
}

GATE_KEYS = ["ownership", "data", "integration", "value", "adoption", "governance"]


def _flag(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def with_charter(queryset: QuerySet[Pilot]) -> QuerySet[Pilot]:
    """Annotate `has_owner`, `has_metric`, `has_path`: the charter's three answers."""
    return queryset.annotate(
        has_owner=_flag(Q(deployment_owner__isnull=False)),
        has_metric=Exists(
            SuccessMetric.objects.filter(
                pilot=OuterRef("pk"), baseline__isnull=False, target__isnull=False
            ).exclude(name="")
        ),
        has_path=Exists(PathItem.objects.filter(pilot=OuterRef("pk"))),
    )


def charter_missing_of(pilot: Pilot) -> list[str]:
    """The unanswered charter questions of a pilot annotated by `with_charter`."""
    return [text for flag, text in CHARTER_QUESTIONS.items() if not getattr(pilot, flag)]


def pilot_charter_missing(*, pilot: Pilot) -> list[str]:
    return charter_missing_of(with_charter(Pilot.objects.filter(pk=pilot.pk)).get())


def _waiting_too_long(as_of: date) -> Q:
    entered_before = as_of - timedelta(days=settings.STALL_AFTER_DAYS)
    return Q(stage=Stage.AWAITING_DECISION, stage_entered_on__lt=entered_before)


def stalled_condition(as_of: date) -> Q:
    """Awaiting decision for MORE than STALL_AFTER_DAYS days, with no decision since."""
    # Strictly after the entry day: a decision dated that day is the one that sent the
    # pilot back (a Redesign), taken before this wait began.
    decided_since_entry = Decision.objects.filter(
        pilot=OuterRef("pk"),
        decided_on__gt=OuterRef("stage_entered_on"),
        decided_on__lte=as_of,
    )
    return _waiting_too_long(as_of) & ~Q(Exists(decided_since_entry))


def drifting_condition(as_of: date) -> Q:
    """Still piloting past the planned end."""
    return Q(stage=Stage.PILOTING, pilot_end_planned__lt=as_of)


def with_stall_flags(queryset: QuerySet[Pilot], *, as_of: date) -> QuerySet[Pilot]:
    """Annotate only `is_stalled` and `is_drifting`: cheap enough for any list."""
    return queryset.annotate(
        is_stalled=_flag(stalled_condition(as_of)), is_drifting=_flag(drifting_condition(as_of))
    )


def with_stall_state(queryset: QuerySet[Pilot], *, as_of: date) -> QuerySet[Pilot]:
    """Annotate the stall state of each pilot as of a date.

    `is_stalled`: awaiting decision for MORE than STALL_AFTER_DAYS days, with no
    decision since it entered that stage. `is_drifting`: still piloting past its
    planned end. One boolean per warning signal, named `signal_<key>` (see SIGNALS).
    """
    is_open = Q(stage__in=OPEN_STAGES)
    waiting_too_long = _waiting_too_long(as_of)
    deferrals_since_entry = (
        Deferral.objects.filter(
            pilot=OuterRef("pk"),
            deferred_on__gte=OuterRef("stage_entered_on"),
            deferred_on__lte=as_of,
        )
        .order_by()
        .values("pilot")
        .annotate(n=Count("id"))
        .values("n")
    )
    # An objection is open while no later sign-off on that criterion supersedes it.
    superseded = SignOff.objects.filter(
        pilot=OuterRef("pilot"), criterion=OuterRef("criterion"), id__gt=OuterRef("id")
    )
    objecting_functions = (
        SignOff.objects.filter(pilot=OuterRef("pk"), verdict=Verdict.OBJECTED)
        .exclude(Exists(superseded))
        .order_by()
        .values("pilot")
        .annotate(n=Count("function", distinct=True))
        .values("n")
    )
    unsettled = [Readiness.OPEN, Readiness.BLOCKED]
    return queryset.annotate(
        deferral_count=Coalesce(Subquery(deferrals_since_entry), 0, output_field=IntegerField()),
        objecting_function_count=Coalesce(
            Subquery(objecting_functions), 0, output_field=IntegerField()
        ),
        organisational_unsettled=Exists(
            GateStatus.objects.filter(
                pilot=OuterRef("pk"), gate__kind=GateKind.ORGANISATIONAL, status__in=unsettled
            )
        ),
        technical_unsettled=Exists(
            GateStatus.objects.filter(
                pilot=OuterRef("pk"), gate__kind=GateKind.TECHNICAL, status__in=unsettled
            )
        ),
    ).annotate(
        is_stalled=_flag(stalled_condition(as_of)),
        is_drifting=_flag(drifting_condition(as_of)),
        signal_deferred_decision=_flag(Q(stage=Stage.AWAITING_DECISION, deferral_count__gte=2)),
        signal_conflicting_objections=_flag(is_open & Q(objecting_function_count__gte=2)),
        signal_organisational_gates_open=_flag(
            is_open & Q(organisational_unsettled=True, technical_unsettled=False)
        ),
        signal_almost_ready_too_long=_flag(waiting_too_long),
        signal_no_decision_maker=_flag(
            is_open & Q(deployment_owner__isnull=True, decision_maker__isnull=True)
        ),
    )


def stall_signals_of(pilot: Pilot) -> list[str]:
    """The keys of the signals a pilot annotated by `with_stall_state` shows."""
    return [key for key in SIGNALS if getattr(pilot, f"signal_{key}")]


def _cost_total(phase: str) -> Coalesce:
    total = (
        CostLine.objects.filter(pilot=OuterRef("pk"), phase=phase)
        .order_by()
        .values("pilot")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(
        Subquery(total),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def export_queryset(*, as_of: date) -> QuerySet[Pilot]:
    """Every pilot with what the export shows of it, in a fixed number of queries."""
    pilots = with_stall_state(with_charter(Pilot.objects.all()), as_of=as_of)
    return (
        pilots.select_related("business_unit", "deployment_owner")
        .annotate(
            cost_pilot=_cost_total(CostPhase.PILOT),
            cost_transition=_cost_total(CostPhase.TRANSITION),
            cost_run=_cost_total(CostPhase.RUN),
        )
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("decided_by").order_by("decided_on", "id"),
            ),
            Prefetch("gate_statuses", queryset=GateStatus.objects.select_related("gate")),
        )
        .order_by("business_unit__name", "title", "id")
    )


def portfolio_summary(*, as_of: date) -> dict:
    pilots = with_stall_state(Pilot.objects.all(), as_of=as_of)
    counts = pilots.aggregate(
        total=Count("id"),
        stalled=Count("id", filter=Q(is_stalled=True)),
        drifting=Count("id", filter=Q(is_drifting=True)),
    )
    by_stage = dict(Pilot.objects.order_by().values_list("stage").annotate(n=Count("id")))
    costs = dict(CostLine.objects.order_by().values_list("phase").annotate(total=Sum("amount")))
    return {
        **counts,
        "by_stage": {stage: by_stage.get(stage, 0) for stage in Stage.values},
        "cost": {phase: f"{costs.get(phase, Decimal(0)):.2f}" for phase in CostPhase.values},
    }


def pilot_export_row(pilot: Pilot, *, as_of: date) -> dict:
    """One pilot of `export_queryset` as plain data."""
    gates = {status.gate.key: status.status for status in pilot.gate_statuses.all()}
    return {
        "reference": pilot.reference or "",
        "title": pilot.title,
        "business_unit": pilot.business_unit.name,
        "stage": pilot.stage,
        "stage_entered_on": pilot.stage_entered_on.isoformat(),
        "deployment_owner": pilot.deployment_owner.email if pilot.deployment_owner else "",
        "risk_tier": pilot.risk_tier,
        "pilot_start": pilot.pilot_start.isoformat() if pilot.pilot_start else "",
        "pilot_end_planned": pilot.pilot_end_planned.isoformat() if pilot.pilot_end_planned else "",
        "go_live_on": pilot.go_live_on.isoformat() if pilot.go_live_on else "",
        "charter_missing": charter_missing_of(pilot),
        "stalled": pilot.is_stalled,
        "drifting": pilot.is_drifting,
        "days_in_stage": pilot.days_in_stage(as_of),
        "stall_signals": stall_signals_of(pilot),
        "gates": {key: gates.get(key, "") for key in GATE_KEYS},
        "decisions": [
            {
                "outcome": decision.outcome,
                "decided_on": decision.decided_on.isoformat(),
                "decided_by": decision.decided_by.email,
                "rationale": decision.rationale,
                "conditions": decision.conditions,
            }
            for decision in pilot.decisions.all()
        ],
        "cost": {
            "pilot": f"{pilot.cost_pilot:.2f}",
            "transition": f"{pilot.cost_transition:.2f}",
            "run": f"{pilot.cost_run:.2f}",
        },
    }


def portfolio_export(*, as_of: date) -> dict:
    return {
        "as_of": as_of.isoformat(),
        "summary": portfolio_summary(as_of=as_of),
        "pilots": [pilot_export_row(p, as_of=as_of) for p in export_queryset(as_of=as_of)],
    }


# The dashboard: the board's questions, as set-based figures.


# The conditions below test membership in an uncorrelated subquery (`pk__in`), which
# the database computes once per query, not once per pilot: they run over the whole
# portfolio in the dashboard's figures.


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
    }
    if state:
        queryset = queryset.filter(states[state])
    if readiness == "passed_all":
        queryset = queryset.filter(passed_all_gates_condition())
    elif readiness == "blocked":
        queryset = queryset.filter(blocked_condition())
    if blocked_gate:
        queryset = queryset.filter(blocked_condition(blocked_gate))
    if value == "measured":
        queryset = queryset.filter(measured_value_condition())
    elif value == "process_change":
        queryset = queryset.filter(process_change_condition())
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
        .select_related("business_unit", "deployment_owner")
        .annotate(stage_order=_stage_order())
        .prefetch_related(
            Prefetch("gate_statuses", queryset=GateStatus.objects.order_by("gate__number"))
        )
        .order_by(*fields)
    )


def stall_list(*, as_of: date, limit: int | None = 10) -> list[Pilot]:
    """Stalled and drifting pilots, worst first: the longest overdue at the top.

    A stalled pilot is overdue since it entered "awaiting decision", a drifting one
    since its planned end.
    """
    overdue_since = Case(
        When(stage=Stage.AWAITING_DECISION, then="stage_entered_on"),
        default="pilot_end_planned",
    )
    # First the few pilots to show, then their signals: computed for those rows
    # only, the signal subqueries stay cheap whatever the size of the portfolio.
    worst = (
        Pilot.objects.filter(stalled_condition(as_of) | drifting_condition(as_of))
        .annotate(overdue_since=overdue_since)
        .order_by("overdue_since", "title", "id")
        .values_list("id", flat=True)
    )
    ids = list(worst[:limit] if limit else worst)
    pilots = (
        with_stall_state(Pilot.objects.filter(id__in=ids), as_of=as_of)
        .select_related("business_unit", "deployment_owner")
        .annotate(overdue_since=overdue_since)
        .order_by("overdue_since", "title", "id")
    )
    return list(pilots)


def overdue_days(pilot: Pilot, *, as_of: date) -> int:
    """Days a pilot of `stall_list` has been stalled or drifting."""
    return (as_of - pilot.overdue_since).days


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
        process_change=Count("id", filter=process_change_condition()),
        past_end=Count("id", filter=past_end_condition(as_of)),
        past_end_decided=Count("id", filter=past_end_condition(as_of) & decided_condition()),
    )
    ages = Pilot.objects.filter(stalled_condition(as_of)).aggregate(
        **{
            f"age_{i}": Count("id", filter=_stall_age_condition(as_of, above, at_most))
            for i, (_, above, at_most) in enumerate(STALL_AGE_BANDS)
        }
    )
    counts["stalled"] = sum(ages.values())
    gate_keys = dict(Gate.objects.values_list("id", "key"))
    gate_counts = {key: dict.fromkeys(Readiness.values, 0) for key in gate_keys.values()}
    for gate_id, status, n in (
        GateStatus.objects.order_by().values_list("gate_id", "status").annotate(n=Count("id"))
    ):
        gate_counts[gate_keys[gate_id]][status] = n
    costs: dict[str, dict[str, Decimal]] = {
        category: dict.fromkeys(CostPhase.values, Decimal(0)) for category in CostCategory.values
    }
    for category, phase, total in (
        CostLine.objects.order_by().values_list("category", "phase").annotate(total=Sum("amount"))
    ):
        costs[category][phase] = total
    stop_reasons = list(
        Decision.objects.filter(outcome=Outcome.STOP, pilot__stage=Stage.STOPPED)
        .select_related("pilot")
        .order_by("-decided_on", "-id")[:5]
    )
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
        "cost_rows": [(category.label, costs[category]) for category in CostCategory],
        "cost_totals": {
            phase: sum((by_phase[phase] for by_phase in costs.values()), Decimal(0))
            for phase in CostPhase.values
        },
        "stop_reasons": stop_reasons,
        "decision_rate": round(100 * counts["past_end_decided"] / past_end) if past_end else None,
        "median_days_awaiting": _median_days_awaiting(
            as_of=as_of, count=counts[Stage.AWAITING_DECISION]
        ),
    }


def decisions_between(*, start: date, end: date) -> QuerySet[Decision]:
    return (
        Decision.objects.filter(decided_on__gte=start, decided_on__lte=end)
        .select_related("pilot", "pilot__business_unit", "decided_by")
        .order_by("-decided_on", "-id")
    )


def pilot_page_queryset(*, as_of: date) -> QuerySet[Pilot]:
    """A pilot with what its page shows, in a fixed number of queries."""
    pilots = with_stall_state(with_charter(Pilot.objects.all()), as_of=as_of)
    return pilots.select_related(
        "business_unit",
        "deployment_owner",
        "sponsor",
        "delivery_owner",
        "decision_maker",
        "risk_owner",
        "success_metric",
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
    )


# Stalls and alerts: the day's stall transitions, who gets the weekly emails, and what
# those emails list.

# A pilot that became stalled or drifting in the seven days up to the alert is "new".
NEW_WITHIN_DAYS = 7


def stall_transitions(*, as_of: date) -> QuerySet:
    """(pilot id, kind) of every pilot whose stall state as of the date differs from
    its latest recorded stall event: one query over all pilots.

    The state is "stalled", "drifting" or "cleared" (neither); a pilot never flagged
    counts as cleared, so only real changes come out.
    """
    latest = (
        StallEvent.objects.filter(pilot=OuterRef("pk"), on__lte=as_of)
        .order_by("-on", "-id")
        .values("kind")[:1]
    )
    state = Case(
        When(stalled_condition(as_of), then=Value(StallEventKind.STALLED)),
        When(drifting_condition(as_of), then=Value(StallEventKind.DRIFTING)),
        default=Value(StallEventKind.CLEARED),
        output_field=CharField(),
    )
    return (
        Pilot.objects.annotate(
            new_kind=state,
            recorded_kind=Coalesce(Subquery(latest), Value(StallEventKind.CLEARED)),
        )
        .exclude(new_kind=F("recorded_kind"))
        .order_by()
        .values_list("id", "new_kind")
    )


def _active_snoozes(as_of: date) -> QuerySet[Snooze]:
    return Snooze.objects.filter(pilot=OuterRef("pk"), starts_on__lte=as_of, until__gte=as_of)


def stall_alert_recipients(*, as_of: date) -> list[tuple[int, str]]:
    """(user id, alert kind) of everyone who gets this week's stall email.

    Each active deployment owner of a stalled or drifting pilot whose alert is not
    snoozed gets the owner alert; when any pilot is stalled or drifting, each active
    executive who has not opted out gets the digest. Nobody else; two queries.
    """
    flagged = Pilot.objects.filter(stalled_condition(as_of) | drifting_condition(as_of))
    owners = (
        User.objects.filter(
            is_active=True,
            id__in=flagged.exclude(Exists(_active_snoozes(as_of))).values("deployment_owner"),
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    executives = (
        User.objects.filter(role=Role.EXECUTIVE, is_active=True, digest_opt_out__isnull=True)
        .filter(Exists(flagged))
        .order_by("id")
        .values_list("id", flat=True)
    )
    return [(user_id, AlertKind.OWNER_ALERT) for user_id in owners] + [
        (user_id, AlertKind.EXECUTIVE_DIGEST) for user_id in executives
    ]


def stall_alert_pilots(*, as_of: date, owner: User | None = None) -> list[Pilot]:
    """The stalled and drifting pilots (of one owner, or all), worst first: the
    longest overdue at the top, as on the dashboard's stall list.

    Each carries `with_stall_state`'s flags and signals, `overdue_since`, `is_new`
    (became stalled or drifting in the last NEW_WITHIN_DAYS days), the snooze in
    force if any (`snoozed_until`, `snooze_reason`, `snoozed_by`), and its gate
    statuses. A fixed number of queries.
    """
    became_flagged = StallEvent.objects.filter(
        pilot=OuterRef("pk"),
        kind__in=[StallEventKind.STALLED, StallEventKind.DRIFTING],
        on__gt=as_of - timedelta(days=NEW_WITHIN_DAYS),
        on__lte=as_of,
    )
    snooze = _active_snoozes(as_of).order_by("-until", "-id")
    pilots = with_stall_state(Pilot.objects.all(), as_of=as_of).filter(
        stalled_condition(as_of) | drifting_condition(as_of)
    )
    if owner is not None:
        pilots = pilots.filter(deployment_owner=owner)
    pilots = (
        pilots.select_related("business_unit", "deployment_owner")
        .annotate(
            # As in `stall_list`: a stalled pilot is overdue since it entered "awaiting
            # decision", a drifting one since its planned end.
            overdue_since=Case(
                When(stage=Stage.AWAITING_DECISION, then="stage_entered_on"),
                default="pilot_end_planned",
            ),
            is_new=Exists(became_flagged),
            snoozed_until=Subquery(snooze.values("until")[:1]),
            snooze_reason=Subquery(snooze.values("reason")[:1]),
            snoozed_by=Subquery(snooze.values("by__name")[:1]),
        )
        .prefetch_related(
            Prefetch(
                "gate_statuses",
                queryset=GateStatus.objects.select_related("gate").order_by("gate__number"),
            )
        )
        .order_by("overdue_since", "title", "id")
    )
    return list(pilots)


@dataclass(frozen=True)
class Blocker:
    """An open criterion of a pilot, and who is expected to act on it."""

    gate: str
    criterion: str
    function: str
    waiting_for: str


def _waiting_for(criterion: Criterion, *, accepted: set[int], verdicts: dict[int, str]) -> str:
    """What an applicable criterion still waits for; empty when it blocks nothing."""
    if verdicts.get(criterion.id) == Verdict.OBJECTED:
        return "objection to resolve"
    if not criterion.required or criterion_met(criterion, accepted=accepted, verdicts=verdicts):
        return ""
    if criterion.id in accepted:
        return "sign-off"
    return "evidence and sign-off" if criterion.function else "evidence"


def pilot_blockers(pilots: list[Pilot]) -> dict[int, list[Blocker]]:
    """What blocks each pilot: the criteria applying to its risk tier that are
    required and not met, or under an open objection, in gate order, each with the
    function expected to act (the deployment owner where evidence alone proves it).
    Three queries, whatever the number of pilots."""
    criteria = list(Criterion.objects.select_related("gate"))
    accepted, verdicts = criteria_evidence_of([pilot.id for pilot in pilots])
    blockers: dict[int, list[Blocker]] = {}
    for pilot in pilots:
        blockers[pilot.id] = []
        for criterion in criteria:
            if not criterion.applies_to(pilot.risk_tier):
                continue
            waiting_for = _waiting_for(
                criterion, accepted=accepted[pilot.id], verdicts=verdicts[pilot.id]
            )
            if waiting_for:
                function = criterion.get_function_display() if criterion.function else ""
                blockers[pilot.id].append(
                    Blocker(
                        gate=f"{criterion.gate.number}. {criterion.gate.name}",
                        criterion=criterion.text,
                        function=function or "Deployment owner",
                        waiting_for=waiting_for,
                    )
                )
    return blockers


# A pilot's timeline: every change to the pilot and its parts, and every record of its
# life (stage changes, decisions, deferrals, verdicts on evidence, sign-offs).


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
    MetricReading: lambda row: f"Reading {_number(row.value)} of {_day(row.measured_on)}",
    ProductionKpi: lambda row: f"Production KPI “{row.name}”",
    PathItem: lambda row: f"Path item “{row.description}”",
    PilotCondition: lambda row: f"Pilot condition “{row.description}”",
    CostLine: lambda row: (
        f"Cost line {row.get_category_display()}, {row.get_phase_display()}: "
        f"{_number(row.amount)} {row.currency}"
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


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)


def _day(value: date) -> str:
    return dateformat.format(value, "j M Y")


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
        return "–"
    if field.is_relation:
        obj = related.get((field.related_model, value))
        return str(obj) if obj is not None else "(removed)"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return dateformat.format(timezone.localtime(value), "j M Y H:i")
    if isinstance(value, date):
        return _day(value)
    return _number(value)


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


# "My pilots": a user's own pilots, with what blocks each.

# The charter's three questions, as the short list of what a pilot lacks.
CHARTER_GAPS = {
    "has_owner": "no deployment owner",
    "has_metric": "no success metric",
    "has_path": "no path to production",
}


@dataclass(frozen=True)
class MyPilot:
    pilot: Pilot  # annotated by `with_charter` and `with_stall_flags`
    roles: tuple[str, ...]  # what the user is to it: "Deployment owner", "Legal review"
    days_in_stage: int
    blocker: str  # the next thing blocking it; empty when closed or nothing does


def next_blocker_of(pilot: Pilot) -> str:
    """The next thing blocking a pilot of `my_pilots`, in a few words: an incomplete
    charter before the start, then the first open or blocked gate, then the decision."""
    if pilot.stage not in OPEN_STAGES:
        return ""
    if pilot.stage == Stage.PROPOSED:
        gaps = [text for flag, text in CHARTER_GAPS.items() if not getattr(pilot, flag)]
        if gaps:
            return "charter: " + ", ".join(gaps)
    for status in pilot.gate_statuses.all():  # in gate order
        if status.status in (Readiness.OPEN, Readiness.BLOCKED):
            blocked = ", an objection is open" if status.status == Readiness.BLOCKED else ""
            return (
                f"gate {status.gate.name}: {status.criteria_met} of "
                f"{status.criteria_required} required criteria met{blocked}"
            )
    if pilot.stage == Stage.AWAITING_DECISION:
        return "decision due"
    return ""


def my_pilots(*, user: User, as_of: date) -> list[MyPilot]:
    """The pilots a user owns (deployment owner), delivers, decides (named decision
    maker), holds the risk of, or, for a stakeholder reviewer, has to review.

    A reviewer has to review an open pilot when it has, on a criterion of the
    reviewer's function, evidence awaiting review, or accepted evidence with no verdict
    of the function since. Flagged pilots first, then open ones, then closed ones.
    Two queries, whatever the number of pilots.
    """
    mine = (
        Q(deployment_owner=user)
        | Q(delivery_owner=user)
        | Q(decision_maker=user)
        | Q(risk_owner=user)
    )
    pilots = Pilot.objects.all()
    is_reviewer = user.role == Role.REVIEWER and bool(user.function)
    if is_reviewer:
        of_function = Evidence.objects.filter(
            pilot=OuterRef("pk"), criterion__function=user.function
        )
        verdict_since = SignOff.objects.filter(
            pilot=OuterRef("pilot"),
            criterion=OuterRef("criterion"),
            signed_at__gte=OuterRef("reviewed_at"),
        )
        pilots = pilots.annotate(
            review_due=Exists(of_function.filter(status=EvidenceStatus.PENDING)),
            signoff_due=Exists(
                of_function.filter(status=EvidenceStatus.ACCEPTED).exclude(Exists(verdict_since))
            ),
        )
        mine |= Q(stage__in=OPEN_STAGES) & (Q(review_due=True) | Q(signoff_due=True))
    pilots = (
        with_stall_flags(with_charter(pilots.filter(mine)), as_of=as_of)
        .select_related("business_unit")
        .prefetch_related(
            Prefetch(
                "gate_statuses",
                queryset=GateStatus.objects.select_related("gate").order_by("gate__number"),
            )
        )
        .order_by("title", "id")
    )
    function = user.get_function_display()
    rows = []
    for pilot in pilots:
        roles = [
            label
            for label, user_id in [
                ("Deployment owner", pilot.deployment_owner_id),
                ("Delivery owner", pilot.delivery_owner_id),
                ("Decision maker", pilot.decision_maker_id),
                ("Risk owner", pilot.risk_owner_id),
            ]
            if user_id == user.id
        ]
        if is_reviewer and pilot.review_due:
            roles.append(f"{function} review")
        if is_reviewer and pilot.signoff_due:
            roles.append(f"{function} sign-off")
        rows.append(
            MyPilot(
                pilot=pilot,
                roles=tuple(roles),
                days_in_stage=pilot.days_in_stage(as_of),
                blocker=next_blocker_of(pilot),
            )
        )
    rows.sort(
        key=lambda row: (
            not (row.pilot.is_stalled or row.pilot.is_drifting),
            row.pilot.stage not in OPEN_STAGES,
        )
    )
    return rows


# The pilot page's gate checklist: every criterion applying to the pilot, with its
# evidence, the verdicts on it, the function's sign-off or objection, and who acts next.


@dataclass
class ChecklistItem:
    criterion: Criterion
    evidence: list[Evidence]  # oldest first
    signoff: SignOff | None  # the current sign-off or objection
    met: bool
    next_step: str  # who is expected to act, and how; empty when nothing is due
    forms: dict  # the view's forms for this criterion, by name


@dataclass
class ChecklistGate:
    gate: Gate
    items: list[ChecklistItem]


def _next_step(criterion: Criterion, evidence: list[Evidence], signoff: SignOff | None) -> str:
    reviewer = f"{(criterion.get_function_display() or 'Business')} reviewer"
    if signoff is not None and signoff.verdict == Verdict.OBJECTED:
        return f"Owner: resolve the {criterion.get_function_display()} objection"
    if any(item.status == EvidenceStatus.PENDING for item in evidence):
        return f"{reviewer}: review the evidence"
    if not any(item.status == EvidenceStatus.ACCEPTED for item in evidence):
        return "Owner: add evidence"
    if criterion.function and (signoff is None or signoff.verdict != Verdict.SIGNED_OFF):
        return f"{reviewer}: sign off or object"
    return ""


def pilot_checklist(*, pilot: Pilot) -> list[ChecklistGate]:
    """The criteria applying to the pilot's risk tier, by gate, each with its evidence
    and current sign-off. Three queries, whatever the number of criteria, evidence
    and sign-offs."""
    criteria = [
        criterion
        for criterion in Criterion.objects.select_related("gate")
        if criterion.applies_to(pilot.risk_tier)
    ]
    evidence_by_criterion: dict[int, list[Evidence]] = {}
    for evidence in Evidence.objects.filter(pilot=pilot).select_related(
        "submitted_by", "reviewed_by"
    ):
        evidence_by_criterion.setdefault(evidence.criterion_id, []).append(evidence)
    signoffs: dict[int, SignOff] = {}
    for signoff in SignOff.objects.filter(pilot=pilot).select_related("signed_by").order_by("id"):
        signoffs[signoff.criterion_id] = signoff  # the latest wins
    accepted = {
        criterion_id
        for criterion_id, items in evidence_by_criterion.items()
        if any(item.status == EvidenceStatus.ACCEPTED for item in items)
    }
    verdicts = {criterion_id: signoff.verdict for criterion_id, signoff in signoffs.items()}
    gates: dict[int, ChecklistGate] = {}
    for criterion in criteria:
        evidence = evidence_by_criterion.get(criterion.id, [])
        signoff = signoffs.get(criterion.id)
        gates.setdefault(criterion.gate_id, ChecklistGate(gate=criterion.gate, items=[]))
        gates[criterion.gate_id].items.append(
            ChecklistItem(
                criterion=criterion,
                evidence=evidence,
                signoff=signoff,
                met=criterion_met(criterion, accepted=accepted, verdicts=verdicts),
                next_step=_next_step(criterion, evidence, signoff),
                forms={},
            )
        )
    return list(gates.values())
