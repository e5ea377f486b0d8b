"""What the dashboard reads from the cache (`history.kept`), one function each, so that
the page and the task that computes them ahead of it use the same keys. Each is
computed once per change of the portfolio (and per day), and any write to what it reads
changes the version it is kept under, so it stays exact."""

from datetime import date

from django.core.paginator import Paginator

from portfolio.selectors.as_of import figures_as_of, figures_without_pilots
from portfolio.selectors.as_of_table import pilot_ids_as_of, stall_order_as_of, states_of
from portfolio.selectors.dashboard import dashboard_figures, stop_decisions
from portfolio.selectors.history import kept, past_version, portfolio_version
from portfolio.selectors.stalls import stall_ids
from portfolio.selectors.trends import last_months, portfolio_over_time


def dashboard_figures_kept(*, as_of: date, version: tuple | None = None) -> dict:
    """`dashboard_figures`: each figure scans every pilot."""
    return kept(("figures", as_of), lambda: dashboard_figures(as_of=as_of), version=version)


def stall_ids_kept(*, as_of: date, version: tuple) -> list[int]:
    """The ten worst stalls' ids: finding them scans every pilot."""
    return kept(("stalls", as_of), lambda: stall_ids(as_of=as_of), version=version)


def stop_count_kept(*, as_of: date, in_the_past: bool, past: tuple) -> int:
    """How many stop decisions the dashboard lists: counting them scans them all."""
    stops = stop_decisions(as_of=as_of if in_the_past else None)
    return kept(("stops", as_of, in_the_past), stops.count, version=past)


class PastDay:
    """The dashboard as of a past day, read from the cache piece by piece: every
    pilot's state that day (`figures_as_of`) is kept too, but read only to answer a
    piece not kept yet, so a request reads little (the figures, a page of rows, the
    ten worst stalls). `past` is `past_version()`."""

    def __init__(self, *, as_of: date, past: tuple):
        self.as_of, self.past = as_of, past

    def _every_state(self) -> dict:
        return kept(
            ("as-of", self.as_of), lambda: figures_as_of(as_of=self.as_of), version=self.past
        )

    def figures(self) -> dict:
        every_state = self._every_state
        return kept(
            ("as-of-figures", self.as_of),
            lambda: figures_without_pilots(every_state()),
            version=self.past,
        )

    def table_page(self, *, filters: dict, number: int, per_page: int) -> tuple[int, int, list]:
        """(how many pilots the filters keep, the page's number, its rows as
        `states_of` gives them). Kept, but where names of people or units decide:
        they are not part of the portfolio's version."""

        def compute() -> tuple[int, int, list]:
            ids = pilot_ids_as_of(figures=self._every_state(), **filters)
            page = Paginator(ids, per_page).get_page(number)
            rows = states_of(list(page.object_list), figures=self._every_state())
            return len(ids), page.number, rows

        if filters.get("q") or filters.get("sort", "").lstrip("-") in ("owner", "unit"):
            return compute()
        given = tuple(sorted((name, getattr(v, "pk", v)) for name, v in filters.items()))
        return kept(("as-of-page", self.as_of, given, number, per_page), compute, version=self.past)

    def stall_order(self) -> list[tuple]:
        """`stall_order_as_of`, the ten worst."""
        every_state = self._every_state
        return kept(
            ("as-of-stalls", self.as_of),
            lambda: stall_order_as_of(every_state(), limit=10),
            version=self.past,
        )


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
