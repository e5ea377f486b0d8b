"""Selectors: charter completeness, stall state, the five signals and the export."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gates.models import GATE_KEYS
from gates.services import signoff_record
from portfolio.models import Pilot, Stage, SuccessMetric
from portfolio.selectors.charter import CHARTER_QUESTIONS, pilot_charter_missing
from portfolio.selectors.export import portfolio_export
from portfolio.selectors.stalls import stall_signals_of, with_stall_state
from portfolio.services.lifecycle import decision_defer, decision_record, pilot_stage_move
from portfolio.services.parts import cost_line_add
from tests.factories import (
    BusinessUnitFactory,
    UserFactory,
    criteria,
    criterion_meet,
    gate_meet,
    make_awaiting_pilot,
    make_chartered_pilot,
    make_pilot,
    reviewer,
)

ENTERED = date(2025, 1, 6)


def state(pilot: Pilot, *, as_of: date) -> Pilot:
    return with_stall_state(Pilot.objects.filter(pk=pilot.pk), as_of=as_of).get()


def signals(pilot: Pilot, *, as_of: date) -> list[str]:
    return stall_signals_of(state(pilot, as_of=as_of))


def _criterion(key: str, function: str):
    return next(c for c in criteria(key) if c.function == function and c.required)


def _object(pilot: Pilot, *, key: str, function: str, comment: str = "Not acceptable"):
    return signoff_record(
        pilot=pilot,
        criterion=_criterion(key, function),
        by=reviewer(function),
        verdict="objected",
        comment=comment,
    )


# --- Charter ----------------------------------------------------------------------


def test_it_lists_every_charter_question_of_an_empty_charter(db):
    pilot = make_pilot()

    assert pilot_charter_missing(pilot=pilot) == list(CHARTER_QUESTIONS.values())


def test_it_lists_no_charter_question_of_a_full_charter(alice):
    pilot = make_chartered_pilot(owner=alice)

    assert pilot_charter_missing(pilot=pilot) == []


@pytest.mark.parametrize(
    "metric",
    [
        {"name": "Hours", "baseline": Decimal(120), "target": None},
        {"name": "Hours", "baseline": None, "target": Decimal(60)},
        {"name": "", "baseline": Decimal(120), "target": Decimal(60)},
    ],
)
def test_it_counts_an_incomplete_success_metric_as_missing(alice, metric):
    pilot = make_chartered_pilot(owner=alice)
    SuccessMetric.objects.filter(pilot=pilot).update(**metric)

    assert pilot_charter_missing(pilot=pilot) == [CHARTER_QUESTIONS["has_metric"]]


def test_it_counts_a_baseline_of_zero_as_an_answer(alice):
    pilot = make_chartered_pilot(owner=alice)
    SuccessMetric.objects.filter(pilot=pilot).update(baseline=Decimal(0))

    assert pilot_charter_missing(pilot=pilot) == []


# --- Stalled ----------------------------------------------------------------------


def test_it_does_not_count_exactly_stall_after_days_awaiting_as_stalled(alice, settings):
    # given
    settings.STALL_AFTER_DAYS = 60
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)

    # when
    pilot = state(pilot, as_of=ENTERED + timedelta(days=60))

    # then
    assert pilot.is_stalled is False
    assert stall_signals_of(pilot) == []


def test_it_counts_one_day_more_than_stall_after_days_as_stalled(alice, settings):
    settings.STALL_AFTER_DAYS = 60
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)

    pilot = state(pilot, as_of=ENTERED + timedelta(days=61))

    assert pilot.is_stalled is True
    assert stall_signals_of(pilot) == ["almost_ready_too_long"]


def test_it_honours_the_stall_after_days_setting(alice, settings):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)
    as_of = ENTERED + timedelta(days=11)

    # when / then
    settings.STALL_AFTER_DAYS = 10
    assert state(pilot, as_of=as_of).is_stalled is True
    settings.STALL_AFTER_DAYS = 11
    assert state(pilot, as_of=as_of).is_stalled is False


def test_it_reads_the_stall_state_as_of_a_date(alice, settings):
    settings.STALL_AFTER_DAYS = 60
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)

    assert state(pilot, as_of=ENTERED).is_stalled is False
    assert state(pilot, as_of=ENTERED + timedelta(days=30)).is_stalled is False
    assert state(pilot, as_of=ENTERED + timedelta(days=61)).is_stalled is True
    assert state(pilot, as_of=ENTERED + timedelta(days=365)).is_stalled is True


@pytest.mark.parametrize("stage", [Stage.PROPOSED, Stage.PILOTING, Stage.SCALING])
def test_it_counts_only_a_pilot_awaiting_decision_as_stalled(alice, settings, stage):
    settings.STALL_AFTER_DAYS = 60
    pilot = make_pilot(deployment_owner=alice, stage=stage, stage_entered_on=ENTERED)

    assert state(pilot, as_of=ENTERED + timedelta(days=400)).is_stalled is False


def test_it_does_not_count_a_pilot_as_stalled_after_a_decision(alice, settings):
    # given: stalled, then decided
    settings.STALL_AFTER_DAYS = 60
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)
    as_of = ENTERED + timedelta(days=90)
    assert state(pilot, as_of=as_of).is_stalled is True

    # when
    decision_record(
        pilot=pilot, outcome="stop", by=alice, rationale="No", on=ENTERED + timedelta(days=80)
    )

    # then
    assert state(pilot, as_of=as_of).is_stalled is False


def test_it_counts_a_pilot_resubmitted_after_a_redesign_from_its_new_entry(alice, settings):
    # given: awaiting long ago, redesigned, awaiting again
    settings.STALL_AFTER_DAYS = 60
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)
    decision_record(
        pilot=pilot, outcome="redesign", by=alice, rationale="Rescope", on=ENTERED
    )
    back = ENTERED + timedelta(days=100)
    pilot_stage_move(pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=alice, on=back)

    # then
    assert state(pilot, as_of=back + timedelta(days=60)).is_stalled is False
    assert state(pilot, as_of=back + timedelta(days=61)).is_stalled is True


def test_it_counts_a_pilot_redesigned_and_resubmitted_the_same_day_as_stalled(alice, settings):
    # given: the redesign decision and the new "awaiting decision" fall on the same day
    settings.STALL_AFTER_DAYS = 60
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)
    decision_record(
        pilot=pilot, outcome="redesign", by=alice, rationale="Rescope", on=ENTERED
    )
    pilot_stage_move(pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=alice, on=ENTERED)

    # then: the decision came before this wait, so it does not end it
    assert state(pilot, as_of=ENTERED + timedelta(days=60)).is_stalled is False
    assert state(pilot, as_of=ENTERED + timedelta(days=61)).is_stalled is True


# --- Drifting ---------------------------------------------------------------------


def test_it_counts_a_piloting_pilot_past_its_planned_end_as_drifting(alice):
    # given
    end = date(2025, 6, 30)
    pilot = make_chartered_pilot(
        owner=alice, pilot_start=ENTERED, pilot_end_planned=end, stage_entered_on=ENTERED
    )
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=alice, on=ENTERED)

    # when / then
    assert state(pilot, as_of=end - timedelta(days=1)).is_drifting is False
    assert state(pilot, as_of=end).is_drifting is False
    assert state(pilot, as_of=end + timedelta(days=1)).is_drifting is True


def test_it_does_not_count_a_pilot_without_planned_end_as_drifting(alice):
    pilot = make_chartered_pilot(owner=alice, stage_entered_on=ENTERED)
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=alice, on=ENTERED)

    assert state(pilot, as_of=ENTERED + timedelta(days=999)).is_drifting is False


@pytest.mark.parametrize("stage", [Stage.PROPOSED, Stage.AWAITING_DECISION, Stage.STOPPED])
def test_it_counts_only_a_piloting_pilot_as_drifting(alice, stage):
    pilot = make_pilot(
        deployment_owner=alice,
        stage=stage,
        stage_entered_on=ENTERED,
        pilot_start=ENTERED,
        pilot_end_planned=ENTERED + timedelta(days=30),
    )

    assert state(pilot, as_of=ENTERED + timedelta(days=200)).is_drifting is False


# --- Signal 1: the decision keeps being deferred ----------------------------------


def test_it_signals_two_deferrals_since_entering_the_stage(alice):
    # given
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)
    decision_defer(pilot=pilot, by=alice, reason="Legal", on=ENTERED)
    as_of = ENTERED + timedelta(days=20)
    assert signals(pilot, as_of=as_of) == []

    # when
    decision_defer(pilot=pilot, by=alice, reason="Budget", on=ENTERED + timedelta(days=14))

    # then
    assert signals(pilot, as_of=as_of) == ["deferred_decision"]
    assert state(pilot, as_of=as_of).deferral_count == 2


def test_it_does_not_count_deferrals_after_the_as_of_date(alice):
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)
    decision_defer(pilot=pilot, by=alice, reason="Legal", on=ENTERED)
    decision_defer(pilot=pilot, by=alice, reason="Budget", on=ENTERED + timedelta(days=14))

    assert signals(pilot, as_of=ENTERED + timedelta(days=13)) == []
    assert signals(pilot, as_of=ENTERED + timedelta(days=14)) == ["deferred_decision"]


def test_it_does_not_count_deferrals_from_before_the_pilot_entered_its_stage(alice):
    # given: deferred twice, redesigned, and back awaiting
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)
    decision_defer(pilot=pilot, by=alice, reason="Legal", on=ENTERED)
    decision_defer(pilot=pilot, by=alice, reason="Budget", on=ENTERED + timedelta(days=7))
    decision_record(
        pilot=pilot, outcome="redesign", by=alice, rationale="Rescope", on=ENTERED + timedelta(8)
    )
    back = ENTERED + timedelta(days=40)
    pilot_stage_move(pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=alice, on=back)
    decision_defer(pilot=pilot, by=alice, reason="Again", on=back)

    # then
    assert state(pilot, as_of=back).deferral_count == 1
    assert signals(pilot, as_of=back) == []


# --- Signal 2: open objections from two or more functions -------------------------


def test_it_signals_open_objections_from_two_functions(alice):
    # given
    pilot = make_chartered_pilot(owner=alice)
    _object(pilot, key="data", function="legal")
    assert signals(pilot, as_of=ENTERED) == []

    # when
    _object(pilot, key="integration", function="it")

    # then
    assert signals(pilot, as_of=ENTERED) == ["conflicting_objections"]


def test_it_does_not_signal_objections_from_one_function(alice):
    pilot = make_chartered_pilot(owner=alice)
    it_criteria = [c for c in criteria("integration") if c.function == "it"]
    for criterion in it_criteria:
        signoff_record(
            pilot=pilot, criterion=criterion, by=reviewer("it"), verdict="objected", comment="No"
        )

    assert len(it_criteria) >= 2
    assert state(pilot, as_of=ENTERED).objecting_function_count == 1
    assert "conflicting_objections" not in signals(pilot, as_of=ENTERED)


def test_it_no_longer_counts_an_objection_superseded_by_a_sign_off(alice):
    # given: two functions object
    pilot = make_chartered_pilot(owner=alice)
    _object(pilot, key="data", function="legal")
    _object(pilot, key="integration", function="it")
    assert signals(pilot, as_of=ENTERED) == ["conflicting_objections"]

    # when: legal signs off the criterion it objected to
    signoff_record(
        pilot=pilot,
        criterion=_criterion("data", "legal"),
        by=reviewer("legal"),
        verdict="signed_off",
    )

    # then
    assert signals(pilot, as_of=ENTERED) == []


def test_it_does_not_count_an_objection_on_another_pilot(alice, bob):
    pilot = make_chartered_pilot(owner=alice)
    other = make_chartered_pilot(owner=bob, title="Cost anomalies")
    _object(pilot, key="data", function="legal")
    _object(other, key="integration", function="it")

    assert signals(pilot, as_of=ENTERED) == []
    assert signals(other, as_of=ENTERED) == []


# --- Signal 3: technical gates pass, organisational gates do not ------------------


def _technical_gates_met(pilot: Pilot, by) -> None:
    for key in ("data", "integration", "value"):
        gate_meet(pilot=pilot, key=key, by=by)


def test_it_signals_organisational_gates_open_while_technical_gates_pass(alice):
    # given
    pilot = make_chartered_pilot(owner=alice)

    # when
    _technical_gates_met(pilot, alice)

    # then
    assert signals(pilot, as_of=ENTERED) == ["organisational_gates_open"]


def test_it_signals_an_organisational_gate_blocked_while_technical_gates_pass(alice):
    pilot = make_chartered_pilot(owner=alice)
    _technical_gates_met(pilot, alice)
    for key in ("ownership", "adoption"):
        gate_meet(pilot=pilot, key=key, by=alice)
    assert signals(pilot, as_of=ENTERED) == ["organisational_gates_open"]
    gate_meet(pilot=pilot, key="governance", by=alice)
    assert signals(pilot, as_of=ENTERED) == []

    _object(pilot, key="governance", function="risk")

    assert signals(pilot, as_of=ENTERED) == ["organisational_gates_open"]


def test_it_does_not_signal_organisational_gates_while_a_technical_gate_is_open(alice):
    pilot = make_chartered_pilot(owner=alice)
    gate_meet(pilot=pilot, key="integration", by=alice)
    gate_meet(pilot=pilot, key="value", by=alice)

    assert signals(pilot, as_of=ENTERED) == []


def test_it_does_not_signal_organisational_gates_while_a_technical_gate_is_blocked(alice):
    pilot = make_chartered_pilot(owner=alice)
    _technical_gates_met(pilot, alice)
    _object(pilot, key="data", function="security")

    assert signals(pilot, as_of=ENTERED) == []


def test_it_does_not_signal_organisational_gates_when_every_gate_passes(alice):
    pilot = make_chartered_pilot(owner=alice)
    for key in GATE_KEYS:
        gate_meet(pilot=pilot, key=key, by=alice)

    assert signals(pilot, as_of=ENTERED) == []


def test_it_signals_a_low_tier_pilot_whose_ownership_gate_is_open(alice):
    # given: the fast track has no data gate, so integration and value are all technical
    pilot = make_chartered_pilot(owner=alice, risk_tier="low")
    gate_meet(pilot=pilot, key="integration", by=alice)
    gate_meet(pilot=pilot, key="value", by=alice)

    # then
    assert signals(pilot, as_of=ENTERED) == ["organisational_gates_open"]
    gate_meet(pilot=pilot, key="ownership", by=alice)
    assert signals(pilot, as_of=ENTERED) == []


# --- Signal 4: almost ready for too long ------------------------------------------


def test_it_signals_almost_ready_too_long_only_past_the_setting(alice, settings):
    settings.STALL_AFTER_DAYS = 30
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)

    assert signals(pilot, as_of=ENTERED + timedelta(days=30)) == []
    assert signals(pilot, as_of=ENTERED + timedelta(days=31)) == ["almost_ready_too_long"]


# --- Signal 5: nobody makes the final call ----------------------------------------


def test_it_signals_an_open_pilot_with_no_owner_and_no_decision_maker(db):
    pilot = make_pilot(stage_entered_on=ENTERED)

    assert signals(pilot, as_of=ENTERED) == ["no_decision_maker"]


def test_it_does_not_signal_a_pilot_with_a_decision_maker_but_no_owner(bob):
    pilot = make_pilot(decision_maker=bob, stage_entered_on=ENTERED)

    assert signals(pilot, as_of=ENTERED) == []


def test_it_does_not_signal_a_pilot_with_an_owner_but_no_decision_maker(alice):
    pilot = make_pilot(deployment_owner=alice, stage_entered_on=ENTERED)

    assert signals(pilot, as_of=ENTERED) == []


def test_it_does_not_take_the_sponsor_for_a_decision_maker(alice):
    pilot = make_pilot(sponsor=alice, stage_entered_on=ENTERED)

    assert signals(pilot, as_of=ENTERED) == ["no_decision_maker"]


# --- Closed pilots ----------------------------------------------------------------


@pytest.mark.parametrize("stage", [Stage.STOPPED, Stage.RESEARCH, Stage.IN_PRODUCTION])
def test_it_shows_no_signal_on_a_closed_pilot(db, settings, stage):
    # given: a closed pilot with everything that would raise a signal on an open one
    settings.STALL_AFTER_DAYS = 10
    delivery = reviewer("operations")  # edits the pilot; names no decision maker
    pilot = make_pilot(
        stage=stage,
        stage_entered_on=ENTERED,
        pilot_start=ENTERED,
        pilot_end_planned=ENTERED + timedelta(days=1),
        delivery_owner=delivery,
    )
    _object(pilot, key="data", function="legal")
    _object(pilot, key="integration", function="it")
    for key in ("data", "integration", "value"):
        gate_meet(pilot=pilot, key=key, by=delivery)

    # when
    pilot = state(pilot, as_of=ENTERED + timedelta(days=400))

    # then
    assert stall_signals_of(pilot) == []
    assert (pilot.is_stalled, pilot.is_drifting) == (False, False)


def test_it_shows_the_same_signals_on_an_open_pilot_for_comparison(db):
    pilot = make_pilot(stage=Stage.SCALING, stage_entered_on=ENTERED)
    _object(pilot, key="data", function="legal")
    _object(pilot, key="integration", function="it")

    assert signals(pilot, as_of=ENTERED) == ["conflicting_objections", "no_decision_maker"]


# --- Export -----------------------------------------------------------------------


def test_it_exports_the_portfolio_with_every_field_of_a_pilot(alice, executive, settings):
    # given
    settings.STALL_AFTER_DAYS = 60
    as_of = ENTERED + timedelta(days=90)
    pilot = make_awaiting_pilot(
        owner=alice,
        entered_on=ENTERED,
        reference="CC-1",
        pilot_start=ENTERED - timedelta(days=60),
        pilot_end_planned=ENTERED,
    )
    cost_line_add(pilot=pilot, category="data", phase="pilot", amount=Decimal("100.5"))
    cost_line_add(pilot=pilot, category="data", phase="pilot", amount=Decimal("20"))
    cost_line_add(
        pilot=pilot, category="integration", phase="transition", amount=Decimal("5000")
    )
    decision_defer(pilot=pilot, by=alice, reason="Legal", on=ENTERED)
    decision_defer(pilot=pilot, by=alice, reason="Budget", on=ENTERED + timedelta(7))
    gate_meet(pilot=pilot, key="ownership", by=alice)
    stopped = make_awaiting_pilot(
        owner=alice,
        entered_on=ENTERED,
        title="Cost anomalies",
        business_unit=BusinessUnitFactory(name="Finance"),
    )
    decision_record(
        pilot=stopped,
        outcome="stop",
        by=executive,
        rationale="Definitions differ",
        conditions="Revisit in Q3",
        on=ENTERED + timedelta(days=10),
    )

    # when
    export = portfolio_export(as_of=as_of)

    # then
    json.dumps(export)  # plain data all the way down
    assert list(export) == ["as_of", "summary", "pilots"]
    assert export["as_of"] == "2025-04-06"
    assert export["summary"]["total"] == 2
    assert export["summary"]["stalled"] == 1
    assert export["summary"]["by_stage"]["awaiting_decision"] == 1
    assert export["summary"]["by_stage"]["stopped"] == 1
    assert export["summary"]["cost"] == {"pilot": "120.50", "transition": "5000.00", "run": "0.00"}
    assert [row["title"] for row in export["pilots"]] == [
        "Contact-centre assistant",
        "Cost anomalies",
    ]
    row, closed = export["pilots"]
    assert row == {
        "reference": "CC-1",
        "title": "Contact-centre assistant",
        "business_unit": "Customer service",
        "stage": "awaiting_decision",
        "stage_entered_on": "2025-01-06",
        "deployment_owner": "alice@example.com",
        "risk_tier": "medium",
        "pilot_start": "2024-11-07",
        "pilot_end_planned": "2025-01-06",
        "go_live_on": "",
        "charter_missing": [],
        "stalled": True,
        "drifting": False,
        "days_in_stage": 90,
        "stall_signals": ["deferred_decision", "almost_ready_too_long"],
        "gates": {
            "ownership": "passed",
            "data": "open",
            "integration": "open",
            "value": "open",
            "adoption": "open",
            "governance": "open",
        },
        "decisions": [],
        "cost": {"pilot": "120.50", "transition": "5000.00", "run": "0.00"},
    }
    assert closed["business_unit"] == "Finance"
    assert (closed["stage"], closed["stalled"], closed["stall_signals"]) == ("stopped", False, [])
    assert closed["days_in_stage"] == 80
    assert closed["decisions"] == [
        {
            "outcome": "stop",
            "decided_on": "2025-01-16",
            "decided_by": "erin@example.com",
            "rationale": "Definitions differ",
            "conditions": "Revisit in Q3",
        }
    ]
    assert list(closed["gates"]) == GATE_KEYS


def _portfolio_of(count: int, *, start: int) -> None:
    """`count` pilots, each with an owner, a decision, costs, evidence and sign-offs."""
    deciders = [UserFactory(role="executive"), UserFactory(role="executive")]
    for n in range(start, start + count):
        owner = UserFactory()
        pilot = make_awaiting_pilot(
            owner=owner,
            entered_on=ENTERED,
            title=f"Pilot {n}",
            reference=f"P-{n}",
            business_unit=BusinessUnitFactory(name=f"Unit {n % 3}"),
        )
        cost_line_add(pilot=pilot, category="data", phase="pilot", amount=Decimal(n))
        cost_line_add(pilot=pilot, category="data", phase="run", amount=Decimal(n))
        decision_defer(pilot=pilot, by=owner, reason="Next meeting", on=ENTERED)
        decision_record(
            pilot=pilot,
            outcome="redesign",
            by=deciders[n % 2],
            rationale="Rescope",
            on=ENTERED + timedelta(days=1),
        )
        pilot_stage_move(
            pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=owner, on=ENTERED + timedelta(2)
        )
        decision_record(
            pilot=pilot, outcome="scale", by=owner, rationale="Go", on=ENTERED + timedelta(3)
        )
        criterion_meet(pilot=pilot, criterion=criteria("ownership")[0], by=owner)
        _object(pilot, key="data", function="legal")


def test_it_exports_the_portfolio_in_a_number_of_queries_independent_of_pilots(db):
    # given
    as_of = ENTERED + timedelta(days=30)
    _portfolio_of(2, start=0)
    with CaptureQueriesContext(connection) as few:
        small = portfolio_export(as_of=as_of)
    _portfolio_of(10, start=2)

    # when
    with CaptureQueriesContext(connection) as many:
        large = portfolio_export(as_of=as_of)

    # then
    assert (len(small["pilots"]), len(large["pilots"])) == (2, 12)
    assert all(len(row["decisions"]) == 2 for row in large["pilots"])
    assert all(row["gates"]["data"] == "blocked" for row in large["pilots"])
    assert all(row["deployment_owner"] for row in large["pilots"])
    assert len(many) == len(few)
    assert len(many) <= 8


def test_it_exports_an_empty_portfolio(db):
    export = portfolio_export(as_of=ENTERED)

    assert export["pilots"] == []
    assert export["summary"]["total"] == 0
    assert export["summary"]["cost"] == {"pilot": "0.00", "transition": "0.00", "run": "0.00"}
