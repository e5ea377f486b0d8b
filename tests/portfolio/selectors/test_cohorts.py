"""Cohorts: the pilots started each quarter and what became of them."""

from datetime import date

import time_machine

from portfolio.selectors.cohorts import cohorts
from portfolio.selectors.history import portfolio_past
from portfolio.services.lifecycle import decision_record, pilot_stage_move
from tests.factories import make_awaiting_pilot, make_chartered_pilot, scale_ready


def _outcomes(row: dict) -> dict:
    return {o["key"]: (o["count"], o["median_days"]) for o in row["outcomes"]}


@time_machine.travel(date(2025, 12, 1))
def test_it_tells_what_became_of_each_quarters_pilots(alice, executive):
    # given: three pilots started in the first quarter of 2025, one in the second
    live = make_awaiting_pilot(owner=alice, entered_on=date(2025, 1, 10), title="Live")
    decision_record(
        pilot=live,
        outcome="scale",
        by=executive,
        rationale="Target hit",
        on=date(2025, 3, 1),
        **scale_ready(live, by=executive),
    )
    pilot_stage_move(pilot=live, to_stage="in_production", by=alice, on=date(2025, 4, 10))
    stopped = make_awaiting_pilot(owner=alice, entered_on=date(2025, 2, 1), title="Stopped")
    decision_record(pilot=stopped, outcome="stop", by=alice, rationale="No", on=date(2025, 3, 3))
    research = make_awaiting_pilot(owner=alice, entered_on=date(2025, 3, 1), title="Kept")
    decision_record(
        pilot=research, outcome="research", by=alice, rationale="Learn", on=date(2025, 5, 30)
    )
    still = make_chartered_pilot(owner=alice, stage_entered_on=date(2025, 4, 1), title="Open")
    pilot_stage_move(pilot=still, to_stage="piloting", by=alice, on=date(2025, 4, 2))
    make_chartered_pilot(owner=alice, stage_entered_on=date(2025, 4, 1), title="Never started")
    past = portfolio_past()
    # when
    rows = cohorts(past, as_of=date(2025, 11, 30))
    # then
    assert [(r["quarter"], r["started"]) for r in rows] == [("2025 Q1", 3), ("2025 Q2", 1)]
    assert _outcomes(rows[0]) == {
        "production": (1, 90),
        "stopped": (1, 30),
        "research": (1, 90),
        "open": (0, None),
    }
    assert _outcomes(rows[1])["open"] == (1, None)
    # and as of an earlier day, the outcomes not yet reached are still open
    earlier = cohorts(past, as_of=date(2025, 3, 31))
    assert _outcomes(earlier[0]) == {
        "production": (0, None),
        "stopped": (1, 30),
        "research": (0, None),
        "open": (2, None),
    }
