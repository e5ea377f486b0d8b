"""The board report's period: stalls begun and cleared, pilots gone live."""

from datetime import date

import time_machine

from portfolio.selectors.history import portfolio_past
from portfolio.selectors.period import period_changes, stall_spans
from tests.portfolio.selectors.test_as_of import stopped_pilot  # noqa: F401 (the fixture)


@time_machine.travel(date(2025, 12, 1))
def test_it_dates_a_stall_that_began_and_was_cleared(stopped_pilot):  # noqa: F811
    # given: awaiting decision from 1 April, stopped on 1 August
    past = portfolio_past()
    # then: stalled from the 61st day of its wait until the decision
    assert stall_spans(past.by_id[stopped_pilot.id]) == [(date(2025, 6, 1), date(2025, 8, 1))]
    q2 = period_changes(past, start=date(2025, 4, 1), end=date(2025, 6, 30))
    assert q2["became_stalled"] == [(date(2025, 6, 1), stopped_pilot.id)]
    assert q2["cleared"] == []
    q3 = period_changes(past, start=date(2025, 7, 1), end=date(2025, 9, 30))
    assert (q3["became_stalled"], q3["cleared"]) == ([], [(date(2025, 8, 1), stopped_pilot.id)])
