"""Cohorts: the pilots started in each quarter, and what became of them by a day: the
portfolio's conversion funnel."""

from collections import defaultdict
from datetime import date

from portfolio.models import Stage
from portfolio.selectors.as_of import median_days
from portfolio.selectors.history import PilotPast, PortfolioPast

OUTCOMES = [
    ("production", "Reached production"),
    ("stopped", "Stopped"),
    ("research", "Kept as research"),
    ("open", "Still open"),
]


def quarter_of(day: date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def outcome_of(pilot: PilotPast, day: date) -> tuple[str, date | None]:
    """What became of a started pilot by the end of `day`, and when: reached production
    (it went live, whatever came after), else stopped or kept as research (its stage
    then), else still open."""
    live = pilot.went_live_on
    if live and live <= day:
        return "production", live
    now = pilot.stage_on(day)
    if now and now[0] in (Stage.STOPPED, Stage.RESEARCH):
        return str(now[0]), now[1]
    return "open", None


def cohorts(past: PortfolioPast, *, as_of: date) -> list[dict]:
    """One row per quarter in which pilots started (by `as_of`), oldest first: how many
    started, how many of them reached each outcome, and the median days from start to
    that outcome. A pilot's start is its first day piloting (else its planned start)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(dict(OUTCOMES), 0))
    days: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for pilot in past.pilots:
        started = pilot.started_on
        if started is None or started > as_of or pilot.stage_on(as_of) is None:
            continue
        quarter = quarter_of(started)
        outcome, on = outcome_of(pilot, as_of)
        counts[quarter][outcome] += 1
        if on is not None:
            days[quarter][outcome].append((on - started).days)
    return [
        {
            "quarter": quarter,
            "started": sum(counts[quarter].values()),
            "outcomes": [
                {
                    "key": key,
                    "label": label,
                    "count": counts[quarter][key],
                    "median_days": median_days(days[quarter][key]),
                }
                for key, label in OUTCOMES
            ],
        }
        for quarter in sorted(counts)
    ]
