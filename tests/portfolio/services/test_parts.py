"""The services that edit a pilot and its parts: who may, and two editors at once."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portfolio.models import CostLine, PathItem, Pilot, ProductionKpi
from portfolio.services.parts import (
    EditConflict,
    condition_add,
    cost_line_add,
    edit_version,
    kpi_add,
    metric_set,
    part_version,
    path_item_add,
    pilot_part_remove,
    pilot_part_update,
)
from portfolio.services.pilots import pilot_update
from tests.conftest import run_at_once, sqlite_cannot
from tests.factories import make_chartered_pilot


def test_pilot_update_refuses_a_change_made_on_values_that_changed_meanwhile(alice):
    # given: an editor saw the title and summary; the summary changed since
    pilot = make_chartered_pilot(owner=alice)
    seen = edit_version(pilot, ["title", "summary"])
    pilot_update(pilot=pilot, summary="Changed meanwhile")

    # when
    with pytest.raises(EditConflict) as conflict:
        pilot_update(pilot=pilot, version=seen, title="Mine", summary="Mine")

    # then: nothing written; the conflict carries the current values
    assert conflict.value.current.summary == "Changed meanwhile"
    assert Pilot.objects.get(pk=pilot.pk).title == "Contact-centre assistant"


def test_pilot_update_takes_a_change_made_on_the_current_values(alice):
    pilot = make_chartered_pilot(owner=alice)
    seen = edit_version(Pilot.objects.get(pk=pilot.pk), ["title"])

    pilot_update(pilot=pilot, version=seen, title="Mine", by=alice)

    assert Pilot.objects.get(pk=pilot.pk).title == "Mine"


@pytest.mark.parametrize(
    "edit",
    [
        lambda pilot, by: pilot_update(pilot=pilot, by=by, title="Mine"),
        lambda pilot, by: metric_set(pilot=pilot, by=by, name="Mine", direction="increase"),
        lambda pilot, by: path_item_add(pilot=pilot, by=by, kind="system", description="Mine"),
        lambda pilot, by: cost_line_add(
            pilot=pilot, by=by, category="data", phase="pilot", amount=1
        ),
        lambda pilot, by: kpi_add(pilot=pilot, by=by, kind="uptime", name="Mine"),
        lambda pilot, by: condition_add(pilot=pilot, by=by, kind="other", description="Mine"),
        lambda pilot, by: pilot_part_update(
            pilot=pilot, part=pilot.path_items.get(), by=by, description="Mine"
        ),
        lambda pilot, by: pilot_part_remove(pilot=pilot, part=pilot.path_items.get(), by=by),
    ],
)
def test_the_edit_services_refuse_anyone_but_the_pilots_owners(alice, bob, edit):
    pilot = make_chartered_pilot(owner=alice)

    with pytest.raises(PermissionDenied):
        edit(pilot, bob)

    assert Pilot.objects.get(pk=pilot.pk).title == "Contact-centre assistant"
    assert list(PathItem.objects.values_list("description", flat=True)) == [
        "Contact-centre platform"
    ]
    assert not CostLine.objects.exists() and not ProductionKpi.objects.exists()


def test_a_part_cannot_be_changed_through_another_pilot(alice, bob):
    mine = make_chartered_pilot(owner=alice, title="Mine")
    theirs = make_chartered_pilot(owner=bob, title="Theirs")

    with pytest.raises(ValidationError, match="not a part of that pilot"):
        pilot_part_update(pilot=mine, part=theirs.path_items.get(), by=alice, description="Taken")

    assert theirs.path_items.get().description == "Contact-centre platform"


def test_a_negative_cost_is_refused_on_an_edit_too(alice):
    pilot = make_chartered_pilot(owner=alice)
    line = cost_line_add(pilot=pilot, category="data", phase="pilot", amount=5)

    with pytest.raises(ValidationError) as error:
        pilot_part_update(pilot=pilot, part=line, amount=Decimal(-1))

    assert error.value.message_dict == {"amount": ["A cost cannot be negative."]}
    assert CostLine.objects.get().amount == 5


def test_removing_a_part_removed_meanwhile_is_a_conflict_without_current_values(alice):
    pilot = make_chartered_pilot(owner=alice)
    kpi = kpi_add(pilot=pilot, kind="uptime", name="Uptime")
    version = part_version(kpi)
    pilot_part_remove(pilot=pilot, part=kpi)

    with pytest.raises(EditConflict) as conflict:
        pilot_part_remove(pilot=pilot, part=kpi, version=version)

    assert conflict.value.current is None


@pytest.mark.needs_services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@sqlite_cannot
def test_of_two_saves_at_once_on_the_same_values_one_lands_and_one_is_refused(alice):
    # given: two editors saw the same charter
    pilot = make_chartered_pilot(owner=alice)
    seen = edit_version(Pilot.objects.get(pk=pilot.pk), ["summary"])

    def save(summary: str) -> tuple[str, str]:
        try:
            pilot_update(
                pilot=Pilot.objects.get(pk=pilot.pk), version=seen, summary=summary, by=alice
            )
        except EditConflict:
            return ("conflict", summary)
        return ("saved", summary)

    # when
    outcomes, errors = run_at_once(lambda: save("First"), lambda: save("Second"))

    # then: exactly one landed, and it is what the database holds
    assert errors == []
    assert sorted(kind for kind, _ in outcomes) == ["conflict", "saved"]
    saved = next(summary for kind, summary in outcomes if kind == "saved")
    assert Pilot.objects.get(pk=pilot.pk).summary == saved
