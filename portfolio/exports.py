"""The portfolio export flattened into CSV rows: one row a pilot, every text cell safe
to open in a spreadsheet program (`portfolio.lib.spreadsheets`)."""

from collections.abc import Iterator
from datetime import date

from django.utils import timezone

from gates.models import GATE_KEYS
from portfolio.lib.spreadsheets import safe_row
from portfolio.selectors.dashboard import pilots_filter
from portfolio.selectors.export import export_queryset, pilot_export_row
from portfolio.selectors.export_as_of import past_export
from portfolio.selectors.trends import portfolio_trends, trend_rows

CSV_HEADER = [
    "reference",
    "title",
    "business_unit",
    "stage",
    "stage_entered_on",
    "deployment_owner",
    "risk_tier",
    "pilot_start",
    "pilot_end_planned",
    "go_live_on",
    "stalled",
    "drifting",
    "days_in_stage",
    "stall_signals",
    "charter_missing",
    *[f"gate_{key}" for key in GATE_KEYS],
    "decisions",
    "last_decision",
    "last_decision_on",
    "cost_pilot",
    "cost_transition",
    "cost_run",
]


def pilot_csv_row(row: dict) -> list:
    last = row["decisions"][-1] if row["decisions"] else None
    flat = {
        **row,
        "stalled": "yes" if row["stalled"] else "no",
        "drifting": "yes" if row["drifting"] else "no",
        "stall_signals": ";".join(row["stall_signals"]),
        "charter_missing": ";".join(row["charter_missing"]),
        **{f"gate_{key}": status for key, status in row["gates"].items()},
        "decisions": len(row["decisions"]),
        "last_decision": last["outcome"] if last else "",
        "last_decision_on": last["decided_on"] if last else "",
        **{f"cost_{phase}": total for phase, total in row["cost"].items()},
    }
    return safe_row(flat[name] for name in CSV_HEADER)


def portfolio_csv_rows(*, as_of: date, filters: dict | None = None) -> Iterator[list]:
    """The header, then a row a pilot; `filters` are those of `pilots_filter`. As of
    a past day (the command's `--as-of`), every pilot as the records stood then."""
    yield CSV_HEADER
    if as_of < timezone.localdate() and not filters:
        for row in past_export(as_of=as_of)[1]:
            yield pilot_csv_row(row)
        return
    pilots = pilots_filter(export_queryset(as_of=as_of), as_of=as_of, **(filters or {}))
    for pilot in pilots.iterator(chunk_size=2000):
        yield pilot_csv_row(pilot_export_row(pilot, as_of=as_of))


TRENDS_HEADER = ["month", "as_of", "figure", "value"]


def trends_csv_rows(*, start: date, end: date) -> Iterator[list]:
    """The header, then one row per month and figure of the period."""
    yield TRENDS_HEADER
    for row in trend_rows(portfolio_trends(start=start, end=end)):
        value = row["value"]
        yield [
            row["month"],
            row["as_of"].isoformat(),
            row["figure"],
            "" if value is None else value,
        ]
