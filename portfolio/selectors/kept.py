"""What the dashboard reads from the cache (`history.kept`), one function each, so that
the page and the task that computes them ahead of it use the same keys."""

from datetime import date

from portfolio.selectors.dashboard import dashboard_figures_kept, stop_decisions
from portfolio.selectors.history import kept, past_version, portfolio_version
from portfolio.selectors.stalls import stall_ids
from portfolio.selectors.trends import last_months, portfolio_over_time


def stall_ids_kept(*, as_of: date, version: tuple) -> list[int]:
    """The ten worst stalls' ids: finding them scans every pilot."""
    return kept(("stalls", as_of), lambda: stall_ids(as_of=as_of), version=version)


def stop_count_kept(*, as_of: date, in_the_past: bool, past: tuple) -> int:
    """How many stop decisions the dashboard lists: counting them scans them all."""
    stops = stop_decisions(as_of=as_of if in_the_past else None)
    return kept(("stops", as_of, in_the_past), stops.count, version=past)


def dashboard_warm(*, as_of: date) -> None:
    """Compute, if the portfolio changed since, what today's dashboard keeps: its
    figures, its worst stalls, its stop count and its trends and cohorts, so that the
    first person to open it after a change does not wait for them."""
    past = past_version()
    version = portfolio_version(past)
    dashboard_figures_kept(as_of=as_of, version=version)
    stall_ids_kept(as_of=as_of, version=version)
    stop_count_kept(as_of=as_of, in_the_past=False, past=past)
    start, end = last_months(as_of)
    portfolio_over_time(start=start, end=end, as_of=as_of, version=past)
