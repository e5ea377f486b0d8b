"""Decision due in a real browser: a reading that reaches the target brings the banner
in place (htmx), its owner moves the pilot to awaiting decision in one click, and an
outsider sees the banner without the button; at 1440 and 390 pixels wide."""

from datetime import date

import pytest
from django.utils import timezone

from portfolio.models import Pilot, Stage
from portfolio.services.decisions_due import decisions_due_record
from portfolio.services.lifecycle import pilot_stage_move
from portfolio.services.pilots import pilot_update
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory, make_chartered_pilot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct horse battery"


def piloting(owner) -> Pilot:
    pilot = make_chartered_pilot(
        owner=owner,
        stage_entered_on=date(2026, 1, 5),
        pilot_start=date(2026, 1, 5),
        pilot_end_planned=date(2099, 12, 31),
    )
    pilot_stage_move(pilot=pilot, to_stage=Stage.PILOTING, by=owner, on=date(2026, 1, 5))
    return pilot


def test_a_reading_at_target_calls_for_the_decision_and_the_owner_moves_it_in_one_click(
    page, live_server, screenshot
):
    # given: Alice's pilot, 120 -> 60 hours a week, lower is better
    alice = UserFactory(email="alice@example.com", name="Alice Owner")
    pilot = piloting(alice)
    sign_in(page, live_server, "alice@example.com", PASSWORD)
    page.goto(f"{live_server.url}/pilots/{pilot.id}/")
    assert page.locator("#decision-due section").count() == 0

    # when: she records 58 hours
    page.click("#part-readings summary:has-text('Add a reading')")
    page.fill("#id_add-readings-measured_on", timezone.localdate().isoformat())
    page.fill("#id_add-readings-value", "58")
    page.click("#part-readings button:has-text('Add a reading')")

    # then: the banner comes in place, with the one-click move
    banner = page.locator("#decision-due section")
    banner.wait_for()
    assert "The success metric reached its target" in banner.inner_text()
    page.set_viewport_size({"width": 1440, "height": 900})
    screenshot(page, "banner-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "banner-390")
    page.click("#decision-due button:has-text('Move to awaiting decision')")
    page.locator("#stage-title:has-text('Awaiting decision')").wait_for()
    assert page.locator("#decision-due section").count() == 0
    pilot.refresh_from_db()
    assert (pilot.stage, pilot.stage_entered_on) == (Stage.AWAITING_DECISION, timezone.localdate())


def test_an_outsider_sees_the_decision_due_without_the_move(page, live_server):
    # given: Alice's pilot past its planned end, recorded by the daily job
    alice = UserFactory(email="alice@example.com", name="Alice Owner")
    UserFactory(email="charlie@example.com", name="Charlie Outsider")
    pilot = piloting(alice)
    pilot_update(pilot=pilot, pilot_end_planned=date(2026, 3, 31))
    decisions_due_record(as_of=timezone.localdate())

    # when
    sign_in(page, live_server, "charlie@example.com", PASSWORD)
    page.goto(f"{live_server.url}/pilots/{pilot.id}/")

    # then
    banner = page.locator("#decision-due section")
    assert "The planned end, 31 Mar 2026, has passed." in banner.inner_text()
    assert banner.locator("button").count() == 0
