"""The portfolio as of a past day, from hand-built histories."""

from datetime import date

import pytest
import time_machine

from portfolio.models import Pilot
from portfolio.selectors.as_of import figures_as_of
from portfolio.selectors.stalls import drifting_condition, stalled_condition
from portfolio.services.lifecycle import decision_record, pilot_stage_move
from portfolio.services.snapshots import portfolio_snapshot_record
from tests.factories import make_awaiting_pilot, make_chartered_pilot

PROPOSED, STARTED, AWAITING, STOPPED = (
    date(2025, 1, 6),
    date(2025, 2, 3),
    date(2025, 4, 1),
    date(2025, 8, 1),
)


@pytest.fixture
def stopped_pilot(alice):
    """Proposed, piloting, awaiting decision, stalled from 31 May, stopped on 1 August."""
    pilot = make_chartered_pilot(
        owner=alice, stage_entered_on=PROPOSED, pilot_end_planned=date(2025, 3, 31)
    )
    pilot_stage_move(pilot=pilot, to_stage="piloting", by=alice, on=STARTED)
    pilot_stage_move(pilot=pilot, to_stage="awaiting_decision", by=alice, on=AWAITING)
    decision_record(pilot=pilot, outcome="stop", by=alice, rationale="No value", on=STOPPED)
    return pilot


def _stage_counts(day: date) -> dict:
    counts = figures_as_of(as_of=day)["counts"]
    return {key: n for key, n in counts.items() if n}


@time_machine.travel(date(2025, 12, 1))
def test_it_gives_a_pilots_stage_on_a_past_date(stopped_pilot):
    assert figures_as_of(as_of=date(2025, 1, 5))["counts"]["total"] == 0
    assert figures_as_of(as_of=PROPOSED)["counts"]["proposed"] == 1
    assert figures_as_of(as_of=date(2025, 3, 1))["counts"]["piloting"] == 1
    assert figures_as_of(as_of=date(2025, 5, 1))["counts"]["awaiting_decision"] == 1
    assert figures_as_of(as_of=STOPPED)["counts"]["stopped"] == 1
    assert figures_as_of(as_of=date(2025, 11, 30))["counts"]["awaiting_decision"] == 0


@time_machine.travel(date(2025, 12, 1))
def test_it_tells_a_stall_that_began_and_ended(stopped_pilot):
    # given: awaiting since 1 April; stalled after 60 days, until the Stop of 1 August
    before, during, after = date(2025, 5, 31), date(2025, 6, 1), date(2025, 8, 1)
    # then
    assert figures_as_of(as_of=before)["counts"]["stalled"] == 0
    assert figures_as_of(as_of=during)["ids"]["stalled"] == {stopped_pilot.id}
    assert figures_as_of(as_of=during)["median_days_awaiting"] == 61
    assert figures_as_of(as_of=after)["counts"]["stalled"] == 0


@time_machine.travel(date(2025, 12, 1))
def test_it_tells_drifting_while_piloting_past_the_planned_end(stopped_pilot):
    # given: planned to end on 31 March, awaiting decision from 1 April
    on_the_end = figures_as_of(as_of=date(2025, 3, 31))
    # then: piloting on its last planned day is not drifting; awaiting the next day
    assert (on_the_end["counts"]["piloting"], on_the_end["counts"]["drifting"]) == (1, 0)
    assert figures_as_of(as_of=date(2025, 4, 1))["counts"]["drifting"] == 0


@time_machine.travel(date(2025, 12, 1))
def test_it_gives_the_decision_rate_of_a_past_quarter(alice, stopped_pilot):
    # given: a second pilot past its planned end, never decided
    other = make_chartered_pilot(
        owner=alice, stage_entered_on=PROPOSED, pilot_end_planned=date(2025, 2, 28)
    )
    pilot_stage_move(pilot=other, to_stage="piloting", by=alice, on=STARTED)
    # then: at the end of the first quarter neither is decided, at the end of the
    # third the stopped one is
    first = figures_as_of(as_of=date(2025, 3, 31))
    assert (first["counts"]["past_end"], first["decision_rate"]) == (1, 0)
    third = figures_as_of(as_of=date(2025, 9, 30))
    assert (third["counts"]["past_end"], third["counts"]["past_end_decided"]) == (2, 1)
    assert third["decision_rate"] == 50
    assert third["ids"]["drifting"] == {other.id}


def test_it_agrees_with_the_live_stall_rules_today(alice, bob):
    # given: one pilot stalled, one awaiting recently, one drifting
    today = date.today()
    stalled = make_awaiting_pilot(owner=alice, entered_on=date(2024, 1, 8))
    make_awaiting_pilot(owner=bob, entered_on=today)
    drifting = make_chartered_pilot(
        owner=alice,
        pilot_end_planned=date(2024, 6, 1),
        pilot_start=date(2024, 1, 1),
        stage_entered_on=date(2024, 1, 1),
    )
    pilot_stage_move(pilot=drifting, to_stage="piloting", by=alice, on=date(2024, 1, 2))
    # when
    figures = figures_as_of(as_of=today)
    # then
    assert (
        figures["ids"]["stalled"]
        == set(Pilot.objects.filter(stalled_condition(today)).values_list("id", flat=True))
        == {stalled.id}
    )
    assert (
        figures["ids"]["drifting"]
        == set(Pilot.objects.filter(drifting_condition(today)).values_list("id", flat=True))
        == {drifting.id}
    )


def test_it_reads_the_gates_from_the_latest_snapshot(alice):
    # given: no snapshot, then one
    make_awaiting_pilot(owner=alice, entered_on=date(2025, 1, 6))
    assert figures_as_of(as_of=date(2025, 3, 1))["counts"]["passed_all"] is None
    portfolio_snapshot_record(on=date(2025, 2, 1))
    # then: later days read it, earlier ones do not
    figures = figures_as_of(as_of=date(2025, 3, 1))
    assert figures["counts"]["passed_all"] == 0
    assert figures["gates_recorded_on"] == date(2025, 2, 1)
    assert sum(figures["gates"]["ownership"].values()) == 1
    assert figures_as_of(as_of=date(2025, 1, 31))["counts"]["blocked"] is None


def _portfolio(owner, count: int) -> None:
    for i in range(count):
        make_awaiting_pilot(owner=owner, entered_on=date(2025, 1, 6 + i))


def test_its_query_count_does_not_grow_with_the_pilots(alice, django_assert_num_queries):
    _portfolio(alice, 2)
    with django_assert_num_queries(10) as first:
        figures_as_of(as_of=date(2025, 6, 1))
    _portfolio(alice, 5)
    with django_assert_num_queries(len(first.captured_queries)):
        figures_as_of(as_of=date(2025, 6, 1))
