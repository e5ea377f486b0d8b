"""Creating many pilots at once: what `pilot_create` and `metric_set` give each, the
same refusals, in a number of queries that does not grow with the pilots."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.models import BusinessUnit, DecisionDue, Pilot, RiskTier, Stage, User
from portfolio.services.parts import metric_set
from portfolio.services.people import (
    business_unit_get_or_create,
    business_units_get_or_create,
    users_get_or_create_by_email,
)
from portfolio.services.pilots import NewPilotRefused, pilot_create, pilot_new, pilots_create_many
from tests.portfolio.services.helpers import DAY, gate_statuses_of

METRIC = {"name": " Hours saved ", "direction": "decrease", "baseline": Decimal(9), "target": 4}


def stored(pilot: Pilot) -> tuple:
    """What a pilot's rows say, whichever way it was created."""
    pilot = Pilot.objects.select_related("success_metric").get(pk=pilot.pk)
    metric = pilot.success_metric
    change = pilot.stage_changes.get()
    (history,) = pilot.history.all()
    (metric_history,) = metric.history.all()
    return (
        (pilot.title, pilot.stage, pilot.stage_entered_on, pilot.go_live_on),
        (pilot.checklist_version_id, pilot.gate_progress, len(gate_statuses_of(pilot))),
        (change.from_stage, change.to_stage, change.changed_on, change.changed_by, change.reason),
        (history.history_type, history.history_user, history.title),
        (metric.name, metric.unit, metric.baseline, metric.target, metric.direction),
        (metric_history.history_type, metric_history.history_user),
    )


def test_it_creates_each_pilot_as_pilot_create_and_metric_set_do(alice, unit):
    # given
    fields = {
        "title": " Invoice matcher ",
        "business_unit": unit,
        "stage": Stage.IN_PRODUCTION,
        "stage_entered_on": DAY,
        "deployment_owner": alice,
    }
    one = pilot_create(by=alice, **fields)
    metric_set(pilot=one, by=alice, **METRIC)

    # when
    (many,) = pilots_create_many(new=[pilot_new(by=alice, metric=METRIC, **fields)], by=alice)

    # then
    assert stored(many) == stored(one)


def test_it_refuses_a_risk_owner_who_owns_the_pilot_before_anything_is_written(alice, unit):
    with pytest.raises(ValidationError) as error:
        pilot_new(title="Triage", business_unit=unit, deployment_owner=alice, risk_owner=alice)

    assert list(error.value.message_dict) == ["risk_owner"]
    assert not Pilot.objects.exists()


def test_it_refuses_a_reference_already_used_naming_the_pilot(unit):
    pilot_create(title="First", business_unit=unit, reference="CC-1")
    new = [
        pilot_new(title="Second", business_unit=unit, reference="CC-2"),
        pilot_new(title="Third", business_unit=unit, reference="CC-1"),
    ]

    with pytest.raises(NewPilotRefused) as error:
        pilots_create_many(new=new)

    assert error.value.index == 1
    assert error.value.message_dict == {"reference": ["Pilot with this Reference already exists."]}
    assert Pilot.objects.count() == 1


def test_it_records_a_decision_due_only_for_what_is_due(unit):
    # given: a new piloting pilot has no reading yet: its target cannot be reached
    new = [pilot_new(title="Triage", business_unit=unit, stage=Stage.PILOTING, metric=METRIC)]

    pilots_create_many(new=new)

    assert not DecisionDue.objects.exists()


def statements_creating(size: int) -> list[str]:
    unit = BusinessUnit.objects.get_or_create(name="Claims")[0]
    people = users_get_or_create_by_email(emails=["rita@example.com", "dana@example.com"])
    new = [
        pilot_new(
            title=f"Pilot {n}",
            business_unit=unit,
            stage=Stage.PILOTING,
            risk_tier=RiskTier.HIGH,
            deployment_owner=people["dana@example.com"],
            risk_owner=people["rita@example.com"],
            metric=METRIC,
        )
        for n in range(size)
    ]
    with CaptureQueriesContext(connection) as queries:
        pilots_create_many(new=new)
    return [query["sql"] for query in queries.captured_queries]


def test_it_creates_ten_or_a_hundred_pilots_in_the_same_number_of_queries(db):
    ten, hundred = statements_creating(10), statements_creating(100)

    def inserts(statements: list[str]) -> int:
        return sum(sql.startswith("INSERT") for sql in statements)

    assert len(hundred) - inserts(hundred) == len(ten) - inserts(ten)
    # the gate statuses go 500 to a statement; SQLite takes 999 values a statement
    extra = {"postgresql": 1, "sqlite": 12}[connection.vendor]
    assert inserts(ten) <= inserts(hundred) <= inserts(ten) + extra
    assert Pilot.objects.count() == 110


def test_it_finds_or_creates_many_users_at_once(alice):
    users = users_get_or_create_by_email(emails=[" ALICE@example.com", "new.person@example.com"])

    assert users["alice@example.com"] == alice
    created = User.objects.get(email="new.person@example.com")
    assert users["new.person@example.com"] == created
    assert (created.name, created.has_usable_password()) == ("New Person", False)


@pytest.mark.parametrize("name", ["Claims", "ÉQUIPE DATA", "Opérations"])
def test_it_finds_or_creates_many_units_at_once_whatever_their_letters(db, name):
    # given
    there = business_unit_get_or_create(name=name)

    # when
    units = business_units_get_or_create(names=[name, f"  {name.lower()} ", "New  unit"])

    # then: the unit there, found by its own spelling at least; the new one tidied
    assert units[name.lower()] == there
    assert units["new unit"].name == "New unit"
    assert BusinessUnit.objects.count() == 2
