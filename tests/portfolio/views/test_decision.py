"""The stage-gate decision on the pilot page: the brief, the form (no outcome chosen
for you, the stage and version it was shown for, the waivers a Scale needs), every
refusal explained in the page with and without htmx, and the snapshot shown."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from gates.models import Criterion
from gates.services import signoff_record
from portfolio.models import Decision, Stage, Waiver
from portfolio.services.lifecycle import decision_record
from portfolio.services.parts import condition_add, cost_line_add, reading_add
from tests.conftest import HTMX, signed_in
from tests.factories import (
    close_out,
    decision_data,
    gate_meet,
    make_awaiting_pilot,
    reviewer,
    scale_waivers,
)

ENTERED = date(2026, 1, 5)


@pytest.fixture
def awaiting(alice):
    return make_awaiting_pilot(owner=alice, entered_on=ENTERED, risk_tier="low")


def decide(client, pilot, data, **extra):
    return client.post(reverse("pilot_decide", args=[pilot.id]), data, **extra)


def page(client, pilot) -> str:
    return client.get(reverse("pilot_detail", args=[pilot.id])).content.decode()


def _nothing_written(pilot) -> None:
    assert not Decision.objects.exists() and not Waiver.objects.exists()
    pilot.refresh_from_db()
    assert pilot.stage == Stage.AWAITING_DECISION


def test_it_opens_the_page_with_the_decision_brief_for_every_reader(alice, charlie, awaiting):
    # given
    reading_add(pilot=awaiting, measured_on=ENTERED, value=80)
    reading_add(pilot=awaiting, measured_on=ENTERED + timedelta(days=7), value=65)
    cost_line_add(pilot=awaiting, category="integration", phase="pilot", amount=1200)
    cost_line_add(pilot=awaiting, category="integration", phase="transition", amount=9000)
    condition_add(pilot=awaiting, kind="data_access", description="Raw ticket export")

    # when: an outsider reads it
    text = page(signed_in(charlie), awaiting)

    # then
    brief = text[text.index('id="decision-brief"') : text.index('id="charter-panel"')]
    assert "Decision brief: awaiting decision for" in brief
    assert "latest reading 65 on" in brief and "target not reached" in brief
    assert (
        '<svg class="chart metric-chart"' in brief
        and "80 on 5 Jan 2026, 65 on 12 Jan 2026" in brief
    )
    assert "Pilot: 1200 EUR" in brief and "Production transition: 9000 EUR" in brief
    assert "Raw ticket export: undecided" in brief
    assert "What a Scale still needs" in brief
    assert "gate 3. Workflow integration: 4 required criteria not met" in brief
    assert "a named delivery owner" in brief
    assert "Record a stage-gate decision" not in text


def test_it_shows_no_brief_once_decided(alice, awaiting):
    decision_record(pilot=awaiting, outcome="stop", by=alice, rationale="No")

    assert "Decision brief" not in page(signed_in(alice), awaiting)


def test_it_offers_no_outcome_by_default_and_says_what_each_does(alice, awaiting):
    text = page(signed_in(alice), awaiting)

    assert '<option value="" selected>Choose an outcome</option>' in text
    assert "<strong>Scale</strong>: the pilot goes to scaling" in text
    assert "<strong>Redesign</strong>: the pilot goes to piloting" in text
    assert "<strong>Stop</strong>: the pilot goes to stopped" in text
    assert "<strong>Research</strong>: the pilot goes to research (kept as research" in text
    assert 'name="stage" value="awaiting_decision"' in text
    assert 'name="version" value="' in text
    assert "For a Scale: a waiver for each gate still open" in text


def test_it_refuses_a_post_without_an_outcome(alice, awaiting):
    response = decide(signed_in(alice), awaiting, decision_data(awaiting, rationale="Go"))

    assert response.status_code == 400
    assert "Outcome: This field is required." in response.content.decode()
    _nothing_written(awaiting)


@pytest.mark.parametrize("htmx", [False, True])
def test_it_refuses_a_scale_listing_what_is_missing(alice, awaiting, htmx):
    # when
    response = decide(
        signed_in(alice),
        awaiting,
        decision_data(awaiting, outcome="scale", rationale="Go"),
        **(HTMX if htmx else {}),
    )

    # then
    text = response.content.decode()
    assert response.status_code == 400
    assert ("<html" in text) is not htmx
    assert 'role="alert">A Scale needs what is still missing: gate 1. Business ownership' in text
    assert "at least one production KPI with its time horizon; a named delivery owner." in text
    _nothing_written(awaiting)


def test_it_refuses_an_incomplete_waiver_on_its_field(alice, awaiting):
    close_out(awaiting)
    waivers = scale_waivers(awaiting, owner=alice)
    data = decision_data(awaiting, waivers=waivers, outcome="scale", rationale="Go")
    data[f"{waivers[0].key}-condition"] = ""

    response = decide(signed_in(alice), awaiting, data)

    assert response.status_code == 400
    assert "1. Business ownership: 2 required criteria not met: A waiver says the condition" in (
        response.content.decode()
    )
    _nothing_written(awaiting)


def test_it_refuses_an_owner_s_waiver_of_an_objection_and_takes_an_executive_s(
    alice, executive, awaiting
):
    # given: an IT objection on the integration gate
    criterion = Criterion.objects.get(text="Integration stability")
    signoff_record(
        pilot=awaiting, criterion=criterion, by=reviewer("it"), verdict="objected", comment="Flaky"
    )
    close_out(awaiting)
    waivers = scale_waivers(awaiting, owner=alice)

    def scale():
        return decision_data(awaiting, waivers=waivers, outcome="scale", rationale="Go")

    # when
    refused = decide(signed_in(alice), awaiting, scale())
    allowed = decide(signed_in(executive), awaiting, scale())

    # then
    assert refused.status_code == 400
    assert "Only an executive may waive an open objection" in refused.content.decode()
    assert allowed.status_code == 302
    assert Waiver.objects.get(gate__key="integration").objection.comment == "Flaky"


@pytest.mark.parametrize("htmx", [False, True])
def test_it_refuses_a_decision_on_a_pilot_changed_since_the_form_was_shown(
    alice, executive, awaiting, htmx
):
    # given: alice's form was shown; then an executive took a Redesign
    shown = decision_data(awaiting, outcome="stop", rationale="Not viable")
    decision_record(pilot=awaiting, outcome="redesign", by=executive, rationale="Narrow it")

    # when: alice's Stop arrives (legal from piloting, but not what she was shown)
    response = decide(signed_in(alice), awaiting, shown, **(HTMX if htmx else {}))

    # then
    text = response.content.decode()
    assert response.status_code == 409
    assert "This pilot changed since the decision form was shown" in text
    assert "Stage: Piloting" in text
    assert 'name="stage" value="piloting"' in text and "Not viable" in text
    assert list(Decision.objects.values_list("outcome", flat=True)) == ["redesign"]


def test_it_forbids_an_outsider_to_decide(charlie, awaiting):
    data = decision_data(awaiting, outcome="stop", rationale="No")

    response = decide(signed_in(charlie), awaiting, data)

    assert response.status_code == 403
    _nothing_written(awaiting)


def test_it_scales_with_waivers_and_shows_them_and_the_snapshot(alice, executive, awaiting):
    # given
    gate_meet(pilot=awaiting, key="ownership", by=alice)
    close_out(awaiting)
    data = decision_data(
        awaiting,
        waivers=scale_waivers(awaiting, owner=alice, due_on=date(2099, 1, 1)),
        outcome="scale",
        rationale="Value proven",
    )
    client = signed_in(executive)

    # when
    response = decide(client, awaiting, data, **HTMX)

    # then
    text = response.content.decode()
    assert response.status_code == 200
    assert "Decision recorded: Scale; the pilot is now scaling." in text
    assert "Waiver of 3. Workflow integration by Erin Executive" in text
    assert "What the decision maker saw on" in text
    assert "1. Business ownership: passed, 2 of 2 required criteria met" in text
    assert 'id="decision-brief" hx-swap-oob="true"' in text
    history = client.get(reverse("pilot_history", args=[awaiting.id])).content.decode()
    assert "What the decision maker saw on" in history


def test_it_warns_of_an_overdue_open_waiver(alice, awaiting):
    close_out(awaiting)
    waivers = scale_waivers(awaiting, owner=alice, due_on=ENTERED + timedelta(days=1))
    decision_record(
        pilot=awaiting, outcome="scale", by=alice, rationale="Go", on=ENTERED, waivers=waivers
    )

    text = page(signed_in(alice), awaiting)

    assert "Overdue waiver: 1. Business ownership was to be closed by 6 Jan 2026" in text
