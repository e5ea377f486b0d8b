"""The board's figures as of any day, from the portfolio's past (`selectors.history`).

`figures_as_of` answers with the same keys as `selectors.dashboard.dashboard_figures`,
plus `ids`: the pilots behind each figure, for the pilot table and the trends' links.
"""

from bisect import bisect_right
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from gates.models import Gate, Readiness
from portfolio.models import CostPhase, Decision, Outcome, Stage, Waiver
from portfolio.selectors.dashboard import STALL_AGE_BANDS, cost_entries
from portfolio.selectors.history import (
    PilotPast,
    PortfolioPast,
    cost_totals_on,
    gate_figures_now,
    portfolio_past,
    snapshot_on,
)


def states_on(past: PortfolioPast, day: date) -> dict[str, set[int]]:
    """The pilots in each state at the end of `day`: one set per stage, and "all",
    "stalled", "drifting", "past_end", "past_end_decided", "measured", "scaled_waived",
    "scaled_waived_overdue"; `entered` maps each pilot to the day it entered its stage.

    Stalled: awaiting decision for more than STALL_AFTER_DAYS days, no decision since
    its entry (the rule of `selectors.stalls.stalled_condition`). One pass over the
    pilots, each in a few comparisons: the trends ask it for every month."""
    states: dict[str, set[int]] = {key: set() for key in [*Stage.values, *_STATE_KEYS]}
    entered_on: dict[int, date] = {}
    waiting_since = day - timedelta(days=settings.STALL_AFTER_DAYS)
    stalled, drifting, measured = states["stalled"], states["drifting"], states["measured"]
    past_end, decided = states["past_end"], states["past_end_decided"]
    for pilot in past.pilots:
        i = bisect_right(pilot.starts, day) - 1
        if i < 0:
            continue  # not yet recorded
        pid, stage, entered = pilot.id, pilot.stages[i], pilot.starts[i]
        entered_on[pid] = entered
        states["all"].add(pid)
        states[stage].add(pid)
        if (
            stage == Stage.AWAITING_DECISION
            and entered < waiting_since
            and not pilot.decided_between(entered, day)
        ):
            stalled.add(pid)
        if pilot.planned_end is not None and pilot.planned_end < day:
            past_end.add(pid)
            if pilot.decisions and pilot.decisions[0][0] <= day:  # in date order
                decided.add(pid)
            if stage == Stage.PILOTING:
                drifting.add(pid)
        if stage == Stage.IN_PRODUCTION and any(entered < on <= day for on in pilot.readings):
            measured.add(pid)
        if pilot.waivers and stage in (Stage.SCALING, Stage.IN_PRODUCTION):
            _waiver_states(states, pilot, day)
    states["entered"] = entered_on  # type: ignore[assignment]
    states["planned_end"] = {  # type: ignore[assignment]
        pid: past.by_id[pid].planned_end for pid in states["drifting"]
    }
    return states


_STATE_KEYS = [
    "all",
    "stalled",
    "drifting",
    "past_end",
    "past_end_decided",
    "measured",
    "scaled_waived",
    "scaled_waived_overdue",
]


def _waiver_states(states: dict, pilot: PilotPast, day: date) -> None:
    """Scaling or live with waivers open at the end of `day` (and one overdue)."""
    open_waivers = [
        due for on, closed, due in pilot.waivers if on <= day and (closed is None or closed > day)
    ]
    if open_waivers:
        states["scaled_waived"].add(pilot.id)
    if any(due < day for due in open_waivers):
        states["scaled_waived_overdue"].add(pilot.id)


def median_days(days: list[int]) -> int | None:
    return round(median(days)) if days else None


def figures_from_states(states: dict, day: date) -> dict:
    """The headline numbers of one day from `states_on`."""
    entered = states["entered"]
    awaiting = [(day - entered[pid]).days for pid in states[Stage.AWAITING_DECISION]]
    stalled_days = [(day - entered[pid]).days for pid in states["stalled"]]
    past_end, decided = len(states["past_end"]), len(states["past_end_decided"])
    return {
        "counts": {
            "total": len(states["all"]),
            **{stage: len(states[stage]) for stage in Stage.values},
            "stalled": len(states["stalled"]),
            "drifting": len(states["drifting"]),
            "measured_value": len(states["measured"]),
            "past_end": past_end,
            "past_end_decided": decided,
            "scaled_with_open_waivers": len(states["scaled_waived"]),
            "scaled_with_overdue_waivers": len(states["scaled_waived_overdue"]),
        },
        "stall_days": stalled_days,
        "decision_rate": round(100 * decided / past_end) if past_end else None,
        "median_days_awaiting": median_days(awaiting),
    }


def _stall_ages(stalled_days: list[int]) -> list[tuple[str, int]]:
    return [
        (
            label,
            sum(
                1
                for days in stalled_days
                if (above is None or days > above) and (at_most is None or days <= at_most)
            ),
        )
        for label, above, at_most in STALL_AGE_BANDS
    ]


def _gate_figures(day: date) -> tuple[dict, dict]:
    """(counts, ids) of the gates: as they are for today (or later), else as the
    snapshot of `day` (or the latest before) has them; unknown (None) before any."""
    if day >= timezone.localdate():
        f, recorded_on = gate_figures_now(), None
    else:
        snapshot = snapshot_on(day)
        if snapshot is None:
            return {"passed_all": None, "blocked": None, "process_change": None}, {}
        f, recorded_on = snapshot.figures, snapshot.on
    ids = {
        "passed_all": set(f["passed_all"]),
        "blocked": set(f["blocked"]),
        "process_change": set(f["process_change"]),
        **{f"blocked_gate:{key}": set(v) for key, v in f["blocked_gate"].items()},
    }
    counts = {key: len(ids[key]) for key in ("passed_all", "blocked", "process_change")}
    counts["gates"], counts["snapshot_on"], counts["raw"] = f["gates"], recorded_on, f
    return counts, ids


def figures_as_of(*, as_of: date, past: PortfolioPast | None = None) -> dict:
    """Every headline figure of the dashboard as the records stood at the end of
    `as_of`, in a fixed number of queries."""
    past = past or portfolio_past()
    states = states_on(past, as_of)
    figures = figures_from_states(states, as_of)
    gate_counts, gate_ids = _gate_figures(as_of)
    counts = figures["counts"]
    for key in ("passed_all", "blocked", "process_change"):
        counts[key] = gate_counts[key]
    counts["decision_due"] = None  # not kept for a past day
    costs = cost_totals_on(past.costs, [as_of])[0]
    stopped = states[Stage.STOPPED]
    stop_reasons = [
        d
        for d in Decision.objects.filter(outcome=Outcome.STOP, decided_on__lte=as_of)
        .select_related("pilot")
        .order_by("-decided_on", "-id")[:50]
        if d.pilot_id in stopped
    ][:5]
    return {
        "as_of": as_of,
        "stall_after_days": settings.STALL_AFTER_DAYS,
        "counts": counts,
        "by_stage": [(stage, counts[stage]) for stage in Stage],
        "stall_ages": _stall_ages(figures["stall_days"]),
        "gates": gate_counts.get("gates") or _no_gates(),
        "gates_recorded_on": gate_counts.get("snapshot_on"),
        "gate_snapshot": gate_counts.get("raw", {}),
        "costs": cost_entries(costs["by_currency"]),
        # Every currency together: the figures over time (board report period, exports).
        "cost_totals": {phase: costs["totals"][phase] or Decimal(0) for phase in CostPhase.values},
        "stop_reasons": stop_reasons,
        "open_waivers": waivers_open_on(as_of),
        "post_launch": dict.fromkeys(("reached", "on_the_way", "leaking")),  # not kept
        "decision_rate": figures["decision_rate"],
        "median_days_awaiting": figures["median_days_awaiting"],
        "ids": {**states, **gate_ids},
    }


def figures_without_pilots(figures: dict) -> dict:
    """The figures of `figures_as_of` without the pilots behind each (`ids`, a set per
    state of every pilot): what a page shows of them, small to keep."""
    return {key: value for key, value in figures.items() if key != "ids"}


def _no_gates() -> dict:
    return {
        key: dict.fromkeys(Readiness.values, None)
        for key in Gate.objects.values_list("key", flat=True)
    }


def waivers_open_on(day: date) -> list[Waiver]:
    """The waivers recorded by the end of `day` and not closed by then."""
    recorded = Q(decision__decided_on__lte=day) | Q(
        decision__isnull=True, recorded_at__date__lte=day
    )
    waivers = (
        Waiver.objects.filter(recorded)
        .exclude(closed_on__lte=day)
        .select_related("pilot", "gate", "owner")
        .order_by("due_on", "id")
    )
    return list(waivers)
