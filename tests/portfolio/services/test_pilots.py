"""Pilot services: charter, stage moves, decisions, deferrals, risk approval, edits."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portfolio.models import (
    CostLine,
    Pilot,
    Stage,
    StageChange,
)
from portfolio.services.lifecycle import (
    pilot_stage_move,
)
from portfolio.services.parts import cost_line_add
from portfolio.services.pilots import pilot_create, pilot_update
from tests.factories import make_chartered_pilot, make_pilot
from tests.portfolio.services.helpers import DAY, LATER, gate_statuses_of, stage_changes_of

# --- Creating and editing a pilot -------------------------------------------------


def test_it_creates_a_pilot_with_its_first_stage_change_and_gate_statuses(alice, unit):
    # when
    pilot = pilot_create(
        title="  Contact-centre assistant ", business_unit=unit, by=alice, stage_entered_on=DAY
    )

    # then
    pilot.refresh_from_db()
    assert pilot.title == "Contact-centre assistant"
    assert pilot.stage == Stage.PROPOSED
    change = StageChange.objects.get(pilot=pilot)
    assert (change.from_stage, change.to_stage, change.changed_on) == ("", Stage.PROPOSED, DAY)
    assert change.changed_by == alice
    assert len(gate_statuses_of(pilot)) == 6


def test_it_sets_go_live_when_a_pilot_is_recorded_in_production(unit):
    pilot = pilot_create(
        title="Invoice matcher", business_unit=unit, stage=Stage.IN_PRODUCTION, stage_entered_on=DAY
    )

    pilot.refresh_from_db()
    assert pilot.go_live_on == DAY


def test_it_refuses_to_create_a_pilot_that_ends_before_it_starts(unit):
    with pytest.raises(ValidationError) as error:
        pilot_create(
            title="Backwards",
            business_unit=unit,
            pilot_start=DAY,
            pilot_end_planned=DAY - timedelta(days=1),
        )

    assert error.value.message_dict == {
        "pilot_end_planned": ["The planned end comes before the pilot start."]
    }
    assert not Pilot.objects.exists()
    assert not StageChange.objects.exists()


def test_it_accepts_a_pilot_that_ends_the_day_it_starts(unit):
    pilot = pilot_create(
        title="One day", business_unit=unit, pilot_start=DAY, pilot_end_planned=DAY
    )

    assert Pilot.objects.get(pk=pilot.pk).pilot_end_planned == DAY


def test_it_refuses_to_update_a_pilot_to_end_before_it_starts(alice):
    # given
    pilot = make_pilot(deployment_owner=alice, pilot_start=DAY, pilot_end_planned=LATER)

    # when
    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, pilot_end_planned=DAY - timedelta(days=1))

    # then
    assert list(error.value.message_dict) == ["pilot_end_planned"]
    assert Pilot.objects.get(pk=pilot.pk).pilot_end_planned == LATER


@pytest.mark.parametrize(
    "fields",
    [{"stage": Stage.PILOTING}, {"stage_entered_on": DAY}, {"title": "New", "stage": "stopped"}],
)
def test_it_refuses_a_stage_change_through_pilot_update(alice, fields):
    # given
    pilot = make_chartered_pilot(owner=alice, stage_entered_on=LATER)

    # when
    with pytest.raises(ValidationError) as error:
        pilot_update(pilot=pilot, **fields)

    # then
    assert error.value.messages == ["The stage changes through a stage move or a decision."]
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.stage_entered_on, pilot.title) == (
        Stage.PROPOSED,
        LATER,
        "Contact-centre assistant",
    )
    assert stage_changes_of(pilot) == [("", Stage.PROPOSED)]


def test_it_updates_a_pilot_without_reverting_a_stage_changed_meanwhile(alice, bob):
    # given: two people hold the same pilot; one starts it
    pilot = make_chartered_pilot(owner=alice, stage_entered_on=DAY)
    stale = Pilot.objects.get(pk=pilot.pk)
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=alice, on=DAY)

    # when: the other edits the title from the stale copy
    pilot_update(pilot=stale, title="Renamed", sponsor=bob)

    # then: the edit lands, the stage move is kept
    pilot.refresh_from_db()
    assert (pilot.title, pilot.sponsor, pilot.stage, pilot.stage_entered_on) == (
        "Renamed",
        bob,
        Stage.PILOTING,
        DAY,
    )


def test_it_rederives_gate_statuses_when_the_risk_tier_changes(alice):
    # given
    pilot = make_pilot(deployment_owner=alice, risk_tier="medium")
    assert gate_statuses_of(pilot)["data"] == "open"

    # when
    pilot_update(pilot=pilot, risk_tier="low")

    # then
    assert gate_statuses_of(pilot) == {
        "ownership": "open",
        "data": "not_applicable",
        "integration": "open",
        "value": "open",
        "adoption": "not_applicable",
        "governance": "not_applicable",
    }

    # and back
    pilot_update(pilot=pilot, risk_tier="high")
    assert set(gate_statuses_of(pilot).values()) == {"open"}


def test_it_refuses_a_negative_cost(alice):
    pilot = make_pilot(deployment_owner=alice)

    with pytest.raises(ValidationError) as error:
        cost_line_add(pilot=pilot, category="integration", phase="transition", amount=Decimal("-1"))

    assert error.value.message_dict == {"amount": ["A cost cannot be negative."]}
    assert not CostLine.objects.exists()


def test_it_records_a_cost_line(alice):
    pilot = make_pilot(deployment_owner=alice)

    line = cost_line_add(
        pilot=pilot, category="integration", phase="transition", amount=Decimal("0"), currency="eur"
    )

    assert CostLine.objects.get(pk=line.pk).currency == "EUR"
