"""The stage panel of the pilot page: stage moves, decisions, deferrals and the risk
owner's approval, with and without htmx, and who may make them."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from portfolio.models import Decision, Deferral, RiskApproval, Stage
from portfolio.services.lifecycle import decision_defer, decision_record
from portfolio.services.pilots import pilot_update
from tests.conftest import HTMX, signed_in
from tests.factories import (
    close_out,
    decision_data,
    make_awaiting_pilot,
    make_chartered_pilot,
    make_pilot,
    scale_ready,
    scale_waivers,
)


@pytest.fixture
def pilot(alice, bob):
    """Alice's chartered, proposed pilot; bob owns another one."""
    make_chartered_pilot(owner=bob, title="Claims triage")
    return make_chartered_pilot(owner=alice)


@pytest.fixture
def awaiting(alice):
    return make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 5), title="Waiting one")


def move(client, pilot, to_stage, **extra):
    return client.post(reverse("pilot_move", args=[pilot.id]), {"to_stage": to_stage}, **extra)


def test_it_refuses_to_start_a_pilot_with_an_incomplete_charter_listing_the_gaps(alice):
    pilot = make_pilot(deployment_owner=alice)

    response = move(signed_in(alice), pilot, "piloting")

    assert response.status_code == 400
    text = response.content.decode()
    assert "The pilot cannot start before its charter answers" in text
    assert "what success looks like" in text
    assert "the path to production" in text
    pilot.refresh_from_db()
    assert pilot.stage == Stage.PROPOSED


def test_it_starts_a_chartered_pilot_and_redirects_with_a_message(alice, pilot):
    client = signed_in(alice)

    response = move(client, pilot, "piloting")

    assert response.status_code == 302
    assert response.url == reverse("pilot_detail", args=[pilot.id])
    pilot.refresh_from_db()
    assert pilot.stage == Stage.PILOTING
    assert pilot.stage_changes.last().changed_by == alice
    assert "The pilot is now piloting." in client.get(response.url).content.decode()


def test_it_swaps_only_the_stage_panel_for_htmx(alice, pilot):
    response = move(signed_in(alice), pilot, "piloting", **HTMX)

    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<section id="stage-panel"')
    assert "<html" not in text
    assert "Stage: Piloting" in text
    assert "Mark awaiting decision" in text


def test_it_shows_a_refusal_in_the_swapped_panel_for_htmx(alice):
    pilot = make_pilot(deployment_owner=alice)

    response = move(signed_in(alice), pilot, "piloting", **HTMX)

    assert response.status_code == 200  # htmx swaps only successful responses
    text = response.content.decode()
    assert "<html" not in text
    assert 'role="alert"' in text and "cannot start before its charter answers" in text


def test_it_refuses_a_move_that_takes_a_decision(alice, pilot):
    response = move(signed_in(alice), pilot, "scaling")

    assert response.status_code == 400
    assert "by hand: that takes a stage-gate decision" in response.content.decode()


@pytest.mark.parametrize("name", ["bob", "charlie"])
def test_it_forbids_others_to_move_the_pilot(request, pilot, name):
    response = move(signed_in(request.getfixturevalue(name)), pilot, "piloting")

    assert response.status_code == 403
    assert "You are not allowed to do this" in response.content.decode()
    pilot.refresh_from_db()
    assert pilot.stage == Stage.PROPOSED


def test_it_sends_anonymous_users_to_sign_in(pilot):
    response = move(Client(), pilot, "piloting")

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_refuses_get_on_an_action(alice, pilot):
    response = signed_in(alice).get(reverse("pilot_move", args=[pilot.id]))

    assert response.status_code == 405


def test_it_shows_only_the_actions_the_user_may_take(alice, charlie, executive, awaiting):
    url = reverse("pilot_detail", args=[awaiting.id])

    owner_page = signed_in(alice).get(url).content.decode()
    outsider_page = signed_in(charlie).get(url).content.decode()
    executive_page = signed_in(executive).get(url).content.decode()

    assert "Record a stage-gate decision" in owner_page
    assert "Record a stage-gate decision" in executive_page
    assert "Record a stage-gate decision" not in outsider_page
    assert "Defer the decision" not in outsider_page


def test_it_lets_an_executive_record_scale(executive, awaiting):
    close_out(awaiting)
    data = decision_data(
        awaiting,
        waivers=scale_waivers(awaiting, owner=executive),
        outcome="scale",
        rationale="Value proven",
        conditions="Monthly review",
    )

    response = signed_in(executive).post(reverse("pilot_decide", args=[awaiting.id]), data)

    assert response.status_code == 302
    decision = Decision.objects.get(pilot=awaiting)
    assert (decision.outcome, decision.decided_by, decision.conditions) == (
        "scale",
        executive,
        "Monthly review",
    )
    awaiting.refresh_from_db()
    assert awaiting.stage == Stage.SCALING


def test_it_requires_a_rationale_with_a_field_error(alice, awaiting):
    response = signed_in(alice).post(
        reverse("pilot_decide", args=[awaiting.id]), {"outcome": "stop", "rationale": "  "}
    )

    assert response.status_code == 400
    assert "Rationale: This field is required." in response.content.decode()
    assert not Decision.objects.exists()


@pytest.mark.parametrize("name", ["bob", "charlie"])
def test_it_forbids_others_to_decide_or_defer(request, awaiting, name):
    client = signed_in(request.getfixturevalue(name))

    decided = client.post(
        reverse("pilot_decide", args=[awaiting.id]), {"outcome": "stop", "rationale": "No"}
    )
    deferred = client.post(reverse("pilot_defer", args=[awaiting.id]), {"reason": "Later"})

    assert (decided.status_code, deferred.status_code) == (403, 403)
    assert not Decision.objects.exists() and not Deferral.objects.exists()


def test_it_escapes_html_in_a_rationale(alice, awaiting):
    client = signed_in(alice)
    client.post(
        reverse("pilot_decide", args=[awaiting.id]),
        decision_data(awaiting, outcome="research", rationale="<script>alert(1)</script>"),
    )

    text = client.get(reverse("pilot_detail", args=[awaiting.id])).content.decode()

    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_it_records_a_deferral_with_its_reason(alice, awaiting):
    client = signed_in(alice)

    missing = client.post(reverse("pilot_defer", args=[awaiting.id]), {"reason": ""}, **HTMX)
    response = client.post(
        reverse("pilot_defer", args=[awaiting.id]), {"reason": "Next board"}, **HTMX
    )

    assert "Reason: This field is required." in missing.content.decode()
    assert response.status_code == 200
    assert "Deferred on" in response.content.decode()
    assert Deferral.objects.get(pilot=awaiting).reason == "Next board"


def test_it_needs_the_risk_owners_approval_before_a_high_risk_scale(alice, charlie, executive):
    pilot = make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 5), risk_tier="high")
    pilot_update(pilot=pilot, risk_owner=charlie)
    decide = reverse("pilot_decide", args=[pilot.id])
    close_out(pilot)
    waivers = scale_waivers(pilot, owner=executive)

    def scale():
        return decision_data(pilot, waivers=waivers, outcome="scale", rationale="Value proven")

    refused = signed_in(executive).post(decide, scale())
    not_owner = signed_in(alice).post(reverse("pilot_risk_approve", args=[pilot.id]), {})
    approved = signed_in(charlie).post(
        reverse("pilot_risk_approve", args=[pilot.id]), {"note": "Controls in place"}
    )
    allowed = signed_in(executive).post(decide, scale())

    assert refused.status_code == 400
    assert "before its risk owner&#x27;s approval is recorded" in refused.content.decode()
    assert not_owner.status_code == 403
    assert approved.status_code == 302
    assert RiskApproval.objects.get(pilot=pilot).approved_by == charlie
    assert allowed.status_code == 302
    pilot.refresh_from_db()
    assert pilot.stage == Stage.SCALING


def test_it_marks_a_scaling_pilot_live(alice, awaiting):
    ready = scale_ready(awaiting, by=alice)
    decision_record(pilot=awaiting, outcome="scale", by=alice, rationale="Go", **ready)

    response = move(signed_in(alice), awaiting, "in_production")

    assert response.status_code == 302
    awaiting.refresh_from_db()
    assert awaiting.stage == Stage.IN_PRODUCTION and awaiting.go_live_on is not None


def test_it_refuses_the_second_of_two_moves_from_the_same_page(alice, pilot):
    client = signed_in(alice)
    move(client, pilot, "piloting")

    response = move(client, pilot, "piloting")

    assert response.status_code == 400
    assert "cannot go from Piloting to Piloting" in response.content.decode()


def test_it_checks_the_csrf_token_of_htmx_requests(alice, pilot):
    client = signed_in(alice, enforce_csrf_checks=True)
    page = client.get(reverse("pilot_detail", args=[pilot.id]))
    token = page.cookies["csrftoken"].value

    without = move(client, pilot, "piloting", **HTMX)
    with_header = move(client, pilot, "piloting", HTTP_X_CSRFTOKEN=token, **HTMX)

    assert without.status_code == 403
    assert with_header.status_code == 200
    assert 'hx-headers=\'{"X-CSRFToken": "' in page.content.decode()


def test_it_serves_the_stage_panel_in_a_fixed_number_of_queries(
    alice, executive, django_assert_max_num_queries
):
    pilot = make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 5))
    for n in range(5):
        decision_defer(pilot=pilot, by=alice, reason=f"Meeting {n}")
    client = signed_in(executive)

    # the decision brief and form read the gates' criteria, evidence and sign-offs,
    # the latest sign-off and the waivers: a fixed number more
    with django_assert_max_num_queries(24):
        response = client.get(reverse("pilot_detail", args=[pilot.id]), **HTMX)

    assert response.content.decode().count("Deferred on") == 5
