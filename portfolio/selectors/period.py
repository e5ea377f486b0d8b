"""The board report of a period: the headline figures at its end with their change since
its start, the trends over it, and the pilots that became stalled, were cleared or went
live in it."""

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from portfolio.models import Pilot, Stage
from portfolio.selectors.as_of import figures_as_of, figures_without_pilots
from portfolio.selectors.as_of_table import stall_rows_as_of
from portfolio.selectors.cohorts import cohorts
from portfolio.selectors.dashboard import decisions_between
from portfolio.selectors.history import PilotPast, PortfolioPast, kept, portfolio_past
from portfolio.selectors.stalls import stall_list, stall_row
from portfolio.selectors.trends import portfolio_trends

# The headline figures the report compares: (label, how to read it from the figures).
HEADLINES = [
    ("Pilots in the portfolio", lambda f: f["counts"]["total"]),
    *[(f"  {stage.label}", lambda f, stage=stage: f["counts"][stage.value]) for stage in Stage],
    ("Passed all production gates", lambda f: f["counts"]["passed_all"]),
    ("Blocked at a gate", lambda f: f["counts"]["blocked"]),
    ("Stalled", lambda f: f["counts"]["stalled"]),
    ("Drifting past their planned end", lambda f: f["counts"]["drifting"]),
    ("In production with measured post-launch value", lambda f: f["counts"]["measured_value"]),
    ("Drove durable process change", lambda f: f["counts"]["process_change"]),
    ("Scaled with open waivers", lambda f: f["counts"]["scaled_with_open_waivers"]),
    ("Decision rate (%)", lambda f: f["decision_rate"]),
    ("Median days awaiting decision", lambda f: f["median_days_awaiting"]),
    ("Production-transition cost", lambda f: f["cost_totals"]["transition"]),
    ("Pilot cost", lambda f: f["cost_totals"]["pilot"]),
    ("Yearly run cost", lambda f: f["cost_totals"]["run"]),
]


def headline_rows(at_end: dict, at_start: dict) -> list[dict]:
    """Each headline figure at the end, at the start, and the change between."""
    rows = []
    for label, read in HEADLINES:
        end, start = read(at_end), read(at_start)
        change = None if end is None or start is None else end - start
        rows.append({"label": label, "end": end, "start": start, "change": change})
    return rows


def stall_spans(pilot: PilotPast) -> list[tuple[date, date | None]]:
    """(first day stalled, first day no longer stalled or None) of each of the pilot's
    stalls: a stall begins the day its wait passes STALL_AFTER_DAYS and ends with a
    decision or a move out of awaiting decision."""
    spans = []
    ends = [*pilot.starts[1:], None]
    for stage, entered, left in zip(pilot.stages, pilot.starts, ends, strict=True):
        if stage != Stage.AWAITING_DECISION:
            continue
        began = entered + timedelta(days=settings.STALL_AFTER_DAYS + 1)
        decided = [on for on, _ in pilot.decisions if on > entered]
        cleared = min([day for day in (left, *decided[:1]) if day is not None], default=None)
        if cleared is None or began < cleared:
            spans.append((began, cleared))
    return spans


def period_changes(past: PortfolioPast, *, start: date, end: date) -> dict[str, list]:
    """The pilots that became stalled, were cleared or went live between `start` and
    `end` (inclusive): lists of (day, pilot id), in date order."""
    changes: dict[str, list] = {"became_stalled": [], "cleared": [], "went_live": []}
    for pilot in past.pilots:
        for began, cleared in stall_spans(pilot):
            if start <= began <= end:
                changes["became_stalled"].append((began, pilot.id))
            if cleared is not None and start <= cleared <= end:
                changes["cleared"].append((cleared, pilot.id))
        for stage, on in zip(pilot.stages, pilot.starts, strict=True):
            if stage == Stage.IN_PRODUCTION and start <= on <= end:
                changes["went_live"].append((on, pilot.id))
    return {key: sorted(rows) for key, rows in changes.items()}


def _with_pilots(changes: dict[str, list]) -> dict[str, list[tuple[date, Pilot]]]:
    ids = {pid for rows in changes.values() for _, pid in rows}
    pilots = Pilot.objects.select_related("business_unit", "deployment_owner").in_bulk(ids)
    return {key: [(day, pilots[pid]) for day, pid in rows] for key, rows in changes.items()}


def board_period(*, start: date, end: date) -> dict:
    """Everything the board report shows for the period, in a fixed number of queries,
    kept in the cache for this version of the portfolio."""
    return kept(("period", start, end), lambda: _board_period(start=start, end=end))


# The rows of each of the report's lists; its heading gives how many there are in all.
REPORT_ROWS = 50


def _board_period(*, start: date, end: date) -> dict:
    past = portfolio_past()
    at_end = figures_as_of(as_of=end, past=past)
    at_start = figures_as_of(as_of=start - timedelta(days=1), past=past)
    if end >= timezone.localdate():
        stalls = [stall_row(p, as_of=end) for p in stall_list(as_of=end, limit=REPORT_ROWS)]
    else:
        stalls = stall_rows_as_of(at_end, limit=REPORT_ROWS)
    changes = period_changes(past, start=start, end=end)
    decisions = decisions_between(start=start, end=end)
    waivers = at_end["open_waivers"]
    totals = {
        **{key: len(rows) for key, rows in changes.items()},
        "stalls": at_end["counts"]["stalled"] + at_end["counts"]["drifting"],
        "decisions": decisions.count(),
        "waivers": len(waivers),
    }
    figures = figures_without_pilots(at_end)
    figures["open_waivers"] = waivers[:REPORT_ROWS]  # the soonest due
    return {
        "start": start,
        "end": end,
        "figures": figures,
        "stalls": stalls,  # the longest overdue
        "headlines": headline_rows(at_end, at_start),
        "points": portfolio_trends(start=start, end=end, past=past),
        "cohorts": cohorts(past, as_of=end),
        # The latest of each list of changes, in date order.
        "changes": _with_pilots({key: rows[-REPORT_ROWS:] for key, rows in changes.items()}),
        "decisions": list(decisions[:REPORT_ROWS]),  # the latest
        "totals": totals,
    }
