"""Selectors: charter completeness, stall state, the five signals and the export."""

from datetime import date, timedelta

import pytest

from gates.models import GATE_KEYS
from gates.services import signoff_record
from portfolio.models import Pilot, Stage
from portfolio.selectors.stalls import stall_signals_of
from portfolio.services.lifecycle import decision_defer, decision_record, pilot_stage_move
from tests.factories import (
    criteria,
    gate_meet,
    make_awaiting_pilot,
    make_chartered_pilot,
    make_pilot,
    reviewer,
)
from tests.portfolio.selectors.helpers import ENTERED, criterion_of, object_to, signals, state

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
    decision_record(pilot=pilot, outcome="redesign", by=alice, rationale="Rescope", on=ENTERED)
    back = ENTERED + timedelta(days=100)
    pilot_stage_move(pilot=pilot, to_stage=Stage.AWAITING_DECISION, by=alice, on=back)

    # then
    assert state(pilot, as_of=back + timedelta(days=60)).is_stalled is False
    assert state(pilot, as_of=back + timedelta(days=61)).is_stalled is True


def test_it_counts_a_pilot_redesigned_and_resubmitted_the_same_day_as_stalled(alice, settings):
    # given: the redesign decision and the new "awaiting decision" fall on the same day
    settings.STALL_AFTER_DAYS = 60
    pilot = make_awaiting_pilot(owner=alice, entered_on=ENTERED)
    decision_record(pilot=pilot, outcome="redesign", by=alice, rationale="Rescope", on=ENTERED)
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
    object_to(pilot, key="data", function="legal")
    assert signals(pilot, as_of=ENTERED) == []

    # when
    object_to(pilot, key="integration", function="it")

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
    object_to(pilot, key="data", function="legal")
    object_to(pilot, key="integration", function="it")
    assert signals(pilot, as_of=ENTERED) == ["conflicting_objections"]

    # when: legal signs off the criterion it objected to
    signoff_record(
        pilot=pilot,
        criterion=criterion_of("data", "legal"),
        by=reviewer("legal"),
        verdict="signed_off",
    )

    # then
    assert signals(pilot, as_of=ENTERED) == []


def test_it_does_not_count_an_objection_on_another_pilot(alice, bob):
    pilot = make_chartered_pilot(owner=alice)
    other = make_chartered_pilot(owner=bob, title="Cost anomalies")
    object_to(pilot, key="data", function="legal")
    object_to(other, key="integration", function="it")

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

    object_to(pilot, key="governance", function="risk")

    assert signals(pilot, as_of=ENTERED) == ["organisational_gates_open"]


def test_it_does_not_signal_organisational_gates_while_a_technical_gate_is_open(alice):
    pilot = make_chartered_pilot(owner=alice)
    gate_meet(pilot=pilot, key="integration", by=alice)
    gate_meet(pilot=pilot, key="value", by=alice)

    assert signals(pilot, as_of=ENTERED) == []


def test_it_does_not_signal_organisational_gates_while_a_technical_gate_is_blocked(alice):
    pilot = make_chartered_pilot(owner=alice)
    _technical_gates_met(pilot, alice)
    object_to(pilot, key="data", function="security")

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
    object_to(pilot, key="data", function="legal")
    object_to(pilot, key="integration", function="it")
    for key in ("data", "integration", "value"):
        gate_meet(pilot=pilot, key=key, by=delivery)

    # when
    pilot = state(pilot, as_of=ENTERED + timedelta(days=400))

    # then
    assert stall_signals_of(pilot) == []
    assert (pilot.is_stalled, pilot.is_drifting) == (False, False)


def test_it_shows_the_same_signals_on_an_open_pilot_for_comparison(db):
    pilot = make_pilot(stage=Stage.SCALING, stage_entered_on=ENTERED)
    object_to(pilot, key="data", function="legal")
    object_to(pilot, key="integration", function="it")

    assert signals(pilot, as_of=ENTERED) == ["conflicting_objections", "no_decision_maker"]
