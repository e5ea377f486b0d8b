"""The portfolio month by month: one point per month of a period, each as of the
month's last day (or the period's end), from the portfolio's past."""

import calendar
from datetime import date, timedelta
from decimal import Decimal

from portfolio.models import (
    Outcome,
    Stage,
)
from portfolio.selectors.as_of import figures_from_states, median_days, states_on
from portfolio.selectors.cohorts import cohorts
from portfolio.selectors.history import PortfolioPast, cost_totals_on, kept, portfolio_past


def month_points(start: date, end: date) -> list[tuple[date, date]]:
    """(first day, last day) of each month from `start`'s to `end`'s, the first and
    the last cut to the period."""
    points, first = [], start
    while first <= end:
        last_day = calendar.monthrange(first.year, first.month)[1]
        last = min(date(first.year, first.month, last_day), end)
        points.append((first, last))
        first = last + timedelta(days=1)
    return points


def last_months(end: date, months: int = 12) -> tuple[date, date]:
    """The period of the `months` months up to `end`, starting on a month's first day."""
    year, month = end.year, end.month - months + 1
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1), end


def _went_live_days(past: PortfolioPast, first: date, last: date) -> list[int]:
    days = []
    for pilot in past.pilots:
        live, started = pilot.went_live_on, pilot.started_on
        if live and started and first <= live <= last:
            days.append((live - started).days)
    return days


def _decisions_in(past: PortfolioPast, first: date, last: date) -> dict[str, set[int]]:
    taken: dict[str, set[int]] = {outcome: set() for outcome in Outcome.values}
    for pilot in past.pilots:
        for on, outcome in pilot.decisions:
            if first <= on <= last:
                taken[outcome].add(pilot.id)
    return taken


def portfolio_trends(*, start: date, end: date, past: PortfolioPast | None = None) -> list[dict]:
    """One point per month of the period: {first, last, stages (count per stage),
    decisions (count per outcome), decision_rate, median_days_awaiting, stalled,
    drifting, median_days_to_production, went_live, measured_value, cost_transition,
    cost_pilot}. A fixed number of queries whatever the number of pilots or months."""
    past = past or portfolio_past()
    months = month_points(start, end)
    costs = cost_totals_on(past.costs, [last for _, last in months])
    currency, others = _cost_currency(costs)
    points = []
    for (first, last), cost in zip(months, costs, strict=True):
        states = states_on(past, last)
        figures = figures_from_states(states, last)
        counts = figures["counts"]
        live_days = _went_live_days(past, first, last)
        decisions = _decisions_in(past, first, last)
        points.append(
            {
                "first": first,
                "last": last,
                "stages": {stage: counts[stage] for stage in Stage.values},
                "decisions": {outcome: len(ids) for outcome, ids in decisions.items()},
                "decisions_total": sum(len(ids) for ids in decisions.values()),
                "decision_rate": figures["decision_rate"],
                "median_days_awaiting": figures["median_days_awaiting"],
                "stalled": counts["stalled"],
                "drifting": counts["drifting"],
                "median_days_to_production": median_days(live_days),
                "went_live": len(live_days),
                "measured_value": counts["measured_value"],
                "in_production": counts[Stage.IN_PRODUCTION],
                "cost_transition": _in(cost, currency, "transition"),
                "cost_pilot": _in(cost, currency, "pilot"),
                "cost_currency": currency,
                "cost_other_currencies": others,
            }
        )
    return points


def _cost_currency(costs: list[dict]) -> tuple[str, list[str]]:
    """The currency the cost trend is drawn in (the one with the most cost at the end
    of the period; amounts are never converted nor added across currencies) and the
    others, left out of the trend."""
    totals: dict[str, Decimal] = {}
    for currency, by_category in (costs[-1]["by_currency"] if costs else {}).items():
        totals[currency] = sum(
            (sum(phases.values(), Decimal(0)) for phases in by_category.values()), Decimal(0)
        )
    if not totals:
        return "EUR", []
    main = max(sorted(totals), key=lambda code: totals[code])
    return main, sorted(code for code in totals if code != main)


def _in(cost: dict, currency: str, phase: str) -> Decimal:
    by_category = cost["by_currency"].get(currency, {})
    return sum((phases.get(phase, Decimal(0)) for phases in by_category.values()), Decimal(0))


TREND_FIGURES = {
    "decisions_total": "decisions taken",
    "decision_rate": "decision rate (%)",
    "median_days_awaiting": "median days awaiting decision",
    "stalled": "stalled pilots",
    "drifting": "drifting pilots",
    "median_days_to_production": "median days from start to production",
    "measured_value": "pilots in production with measured value",
    "cost_transition": "production-transition cost",
    "cost_pilot": "pilot cost",
}


def trend_rows(points: list[dict]) -> list[dict]:
    """One row per month and figure, for `/trends.csv`."""
    rows = []
    for point in points:
        values = {
            **{f"pilots {Stage(s).label.lower()}": n for s, n in point["stages"].items()},
            **{f"decisions {Outcome(o).label.lower()}": n for o, n in point["decisions"].items()},
            **{label: point[key] for key, label in TREND_FIGURES.items()},
        }
        for figure, value in values.items():
            rows.append(
                {
                    "month": point["first"].strftime("%Y-%m"),
                    "as_of": point["last"],
                    "figure": figure,
                    "value": value,
                }
            )
    return rows


def portfolio_over_time(
    *, start: date, end: date, as_of: date, version: tuple | None = None
) -> dict:
    """The trends of the period and the cohorts as of a day, computed once per change
    of the portfolio (`portfolio_version`) and kept in the cache: exact, since any write
    to what they read changes the key."""

    def compute() -> dict:
        past = portfolio_past()
        return {
            "points": portfolio_trends(start=start, end=end, past=past),
            "cohorts": cohorts(past, as_of=as_of),
        }

    return kept(("over-time", start, end, as_of), compute, version=version)
