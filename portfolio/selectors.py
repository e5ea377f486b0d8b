"""Reads that carry rules: charter completeness, stall state and the portfolio export.

Each is a set-based query (annotations and aggregates), so its number of queries
does not grow with the number of pilots.
"""

from dataclasses import dataclass
from datetime import date, timedelta
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

from gates.models import Criterion, Gate, GateKind, GateStatus, Readiness, SignOff, Verdict
from gates.services import criteria_evidence_of, criterion_met
from portfolio.models import (
    OPEN_STAGES,
    AlertKind,
    CostCategory,
    CostLine,
    CostPhase,
    Decision,
    Deferral,
    MetricReading,
    Outcome,
    PathItem,
    PathKind,
    PathStatus,
    Pilot,
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
    unsettled = GateStatus.objects.filter(status__in=[Readiness.OPEN, Readiness.BLOCKED])
    passed = GateStatus.objects.filter(status=Readiness.PASSED)
    return Q(pk__in=passed.values("pilot_id")) & ~Q(pk__in=unsettled.values("pilot_id"))


def blocked_condition(gate_key: str = "") -> Q:
    blocked = GateStatus.objects.filter(status=Readiness.BLOCKED)
    if gate_key:
        blocked = blocked.filter(gate__key=gate_key)
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


def _readiness_counts() -> dict[str, int]:
    """Pilots that passed all their gates, and pilots blocked at a gate, in one scan of
    the gate statuses (the same rules as `passed_all_gates_condition` and
    `blocked_condition`, counted per pilot)."""
    per_pilot = (
        GateStatus.objects.order_by()
        .values("pilot_id")
        .annotate(
            unsettled_gates=Count("id", filter=Q(status__in=[Readiness.OPEN, Readiness.BLOCKED])),
            blocked_gates=Count("id", filter=Q(status=Readiness.BLOCKED)),
            passed_gates=Count("id", filter=Q(status=Readiness.PASSED)),
        )
    )
    return per_pilot.aggregate(
        passed_all=Count("pilot_id", filter=Q(unsettled_gates=0, passed_gates__gt=0)),
        blocked=Count("pilot_id", filter=Q(blocked_gates__gt=0)),
    )


def dashboard_figures(*, as_of: date) -> dict:
    """Every headline figure of the dashboard, in a fixed number of queries."""
    counts = Pilot.objects.aggregate(
        total=Count("id"),
        **{stage: Count("id", filter=Q(stage=stage)) for stage in Stage.values},
        drifting=Count("id", filter=drifting_condition(as_of)),
        measured_value=Count("id", filter=measured_value_condition()),
        process_change=Count("id", filter=process_change_condition()),
        past_end=Count("id", filter=past_end_condition(as_of)),
        past_end_decided=Count("id", filter=past_end_condition(as_of) & decided_condition()),
    )
    counts.update(_readiness_counts())
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
    ).prefetch_related(
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
