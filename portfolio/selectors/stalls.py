"""Stall state: stalled and drifting pilots and the five warning signals, set-based."""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce

from gates.models import (
    GateKind,
    GateStatus,
    Readiness,
    SignOff,
    Verdict,
)
from portfolio.models import Decision, Deferral, Pilot, Stage
from portfolio.selectors.conditions import flag
from portfolio.stages import OPEN_STAGES

# The five warning signals of a stalling deployment (docs/domain.md, "Stalls").
SIGNALS = {
    "deferred_decision": "Decision deferred twice or more",
    "conflicting_objections": "Open objections from two or more functions",
    "organisational_gates_open": "Technical gates pass, organisational gates do not",
    "almost_ready_too_long": "Almost ready for too long",
    "no_decision_maker": "Nobody named to make the final call",
}


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
        is_stalled=flag(stalled_condition(as_of)), is_drifting=flag(drifting_condition(as_of))
    )


def with_stall_state(queryset: QuerySet[Pilot], *, as_of: date) -> QuerySet[Pilot]:
    """Annotate the stall state of each pilot as of a date.

    `is_stalled`: awaiting decision for MORE than STALL_AFTER_DAYS days, with no
    decision since it entered that stage. `is_drifting`: still piloting past its
    planned end. One boolean per warning signal, named `signal_<key>` (see SIGNALS).
    """
    is_open = Q(stage__in=OPEN_STAGES)
    return _with_signal_inputs(queryset, as_of=as_of).annotate(
        is_stalled=flag(stalled_condition(as_of)),
        is_drifting=flag(drifting_condition(as_of)),
        signal_deferred_decision=flag(Q(stage=Stage.AWAITING_DECISION, deferral_count__gte=2)),
        signal_conflicting_objections=flag(is_open & Q(objecting_function_count__gte=2)),
        signal_organisational_gates_open=flag(
            is_open & Q(organisational_unsettled=True, technical_unsettled=False)
        ),
        signal_almost_ready_too_long=flag(_waiting_too_long(as_of)),
        signal_no_decision_maker=flag(
            is_open & Q(deployment_owner__isnull=True, decision_maker__isnull=True)
        ),
    )


def _with_signal_inputs(queryset: QuerySet[Pilot], *, as_of: date) -> QuerySet[Pilot]:
    """What the signals are computed from: deferrals since the stage began, functions
    with an open objection, organisational and technical gates not yet settled."""
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
    )


def stall_signals_of(pilot: Pilot) -> list[str]:
    """The keys of the signals a pilot annotated by `with_stall_state` shows."""
    return [key for key in SIGNALS if getattr(pilot, f"signal_{key}")]


def overdue_since() -> Case:
    """Since when a flagged pilot is overdue: a stalled one since it entered "awaiting
    decision", a drifting one since its planned end."""
    return Case(
        When(stage=Stage.AWAITING_DECISION, then="stage_entered_on"),
        default="pilot_end_planned",
    )


def stall_ids(*, as_of: date, limit: int | None = 10) -> list[int]:
    """The ids of the stalled and drifting pilots, worst first (`stall_list`)."""
    worst = (
        Pilot.objects.filter(stalled_condition(as_of) | drifting_condition(as_of))
        .annotate(overdue_since=overdue_since())
        .order_by("overdue_since", "title", "id")
        .values_list("id", flat=True)
    )
    return list(worst[:limit] if limit else worst)


def stall_list(*, as_of: date, limit: int | None = 10, ids: list[int] | None = None) -> list[Pilot]:
    """Stalled and drifting pilots, worst first: the longest overdue at the top (those
    of `ids`, if the caller kept them, see `stall_ids`)."""
    # First the few pilots to show, then their signals: computed for those rows
    # only, the signal subqueries stay cheap whatever the size of the portfolio.
    if ids is None:
        ids = stall_ids(as_of=as_of, limit=limit)
    pilots = (
        with_stall_state(Pilot.objects.filter(id__in=ids), as_of=as_of)
        .select_related("business_unit", "deployment_owner")
        .annotate(overdue_since=overdue_since())
        .order_by("overdue_since", "title", "id")
    )
    return list(pilots)


def stall_row(pilot: Pilot, *, as_of: date) -> dict:
    """A flagged pilot as the stall list and the alerts show it: how many days it is
    overdue and the warning signals it shows."""
    return {
        "pilot": pilot,
        "days": overdue_days(pilot, as_of=as_of),
        "signals": [SIGNALS[key] for key in stall_signals_of(pilot)],
    }


def overdue_days(pilot: Pilot, *, as_of: date) -> int:
    """Days a pilot of `stall_list` has been stalled or drifting."""
    return (as_of - pilot.overdue_since).days
