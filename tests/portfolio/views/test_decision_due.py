from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portfolio.models import Pilot, Role, Stage
from portfolio.services.decisions_due import decisions_due_record
from portfolio.services.parts import reading_add
from portfolio.services.pilots import pilot_update
from tests.conftest import HTMX, signed_in
from tests.factories import UserFactory, make_chartered_pilot
from tests.portfolio.selectors.test_post_launch import AFTER, BEFORE, live_pilot, readings
from tests.portfolio.services.test_decisions_due import piloting_pilot

BANNER = "Decision due"
BUTTON = "Move to awaiting decision"


@pytest.fixture
def due_pilot(alice, executive) -> Pilot:
    """Alice's pilot, piloting, its planned end passed; Erin decides it."""
    pilot = piloting_pilot(alice)
    pilot_update(pilot=pilot, decision_maker=executive)
    decisions_due_record(as_of=timezone.localdate())
    return pilot


def page(client, pilot: Pilot, **extra):
    return client.get(reverse("pilot_detail", args=[pilot.id]), **extra)


def move(client, pilot: Pilot):
    return client.post(reverse("pilot_move", args=[pilot.id]), {"to_stage": "awaiting_decision"})


def test_it_shows_the_decision_due_banner_with_its_cause_and_the_one_click_move(
    alice_client, due_pilot
):
    # when
    html = page(alice_client, due_pilot).content.decode()

    # then
    assert BANNER in html
    assert "The planned end, 29 May 2026, has passed." in html
    assert "Erin Executive takes its go-live decision" in html
    assert BUTTON in html


def test_it_moves_a_decision_due_pilot_to_awaiting_decision_in_one_click(alice_client, due_pilot):
    # when
    response = move(alice_client, due_pilot)

    # then: the stall clock starts today, when it awaits decision
    assert response.status_code == 302
    due_pilot.refresh_from_db()
    assert due_pilot.stage == Stage.AWAITING_DECISION
    assert due_pilot.stage_entered_on == timezone.localdate()
    assert BANNER not in page(alice_client, due_pilot).content.decode()


@pytest.mark.parametrize("who", ["decision_maker", "outsider", "reviewer", "admin"])
def test_it_refuses_the_move_to_those_who_may_not_move_the_stage(
    due_pilot, executive, charlie, who
):
    # given: the named decision maker is an executive, not an owner of the pilot
    user = {
        "decision_maker": executive,
        "outsider": charlie,
        "reviewer": UserFactory(email="rita@example.com", role=Role.REVIEWER, function="legal"),
        "admin": UserFactory(email="gov@example.com", role=Role.ADMIN, is_superuser=True),
    }[who]
    client = signed_in(user)

    # when
    shown = page(client, due_pilot).content.decode()
    response = move(client, due_pilot)

    # then
    assert BANNER in shown and BUTTON not in shown
    assert "Its deployment or delivery owner moves it to awaiting decision." in shown
    assert response.status_code == 403
    due_pilot.refresh_from_db()
    assert due_pilot.stage == Stage.PILOTING


def test_it_shows_the_banner_as_soon_as_a_reading_reaches_the_target(alice_client, alice):
    # given
    pilot = piloting_pilot(alice)
    pilot_update(pilot=pilot, pilot_end_planned=date(2099, 12, 31))
    url = reverse("part_add", args=[pilot.id, "readings"])
    today = timezone.localdate()

    # when: a reading of 55 hours, against the target of 60 (lower is better)
    response = alice_client.post(
        url, {"add-readings-measured_on": today.isoformat(), "add-readings-value": "55"}, **HTMX
    )

    # then: the readings come back with the banner swapped in out of band
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="decision-due" hx-swap-oob="true"' in html
    assert f"reached its target with the reading of {today:%-d %b %Y}" in html


def test_it_shows_no_banner_on_a_pilot_that_is_not_due(alice_client, alice):
    # given
    pilot = make_chartered_pilot(owner=alice, pilot_end_planned=date(2099, 12, 31))

    # then
    assert BANNER not in page(alice_client, pilot).content.decode()


def test_it_serves_the_pilot_page_in_the_same_number_of_queries_when_due(alice, alice_client):
    # given
    pilot = piloting_pilot(alice)
    with CaptureQueriesContext(connection) as not_due:
        page(alice_client, pilot)
    decisions_due_record(as_of=timezone.localdate())
    reading_add(pilot=pilot, measured_on=timezone.localdate(), value=50, by=alice)

    # when
    with CaptureQueriesContext(connection) as due:
        html = page(alice_client, pilot).content.decode()

    # then
    assert "reached its target" in html and "has passed" in html
    assert len(due) == len(not_due)


def test_it_shows_post_launch_value_in_the_metric_panel(alice, alice_client):
    # given: 70 hours at go-live, 80 since: worse, short of the target of 60
    pilot = live_pilot(alice, "Live")
    readings(pilot, (BEFORE, 70), (AFTER, 80))

    # when
    html = page(alice_client, pilot).content.decode()

    # then
    assert "Post-launch value: <strong>Value leaking since go-live</strong>" in html
    assert "Latest reading since go-live: 80 hours against the target of 60" in html
    assert "at go-live (3 Mar 2025): 70" in html


def dashboard(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dashboard"), params)
    return response.content.decode(), len(queries)


def test_it_counts_decisions_due_and_post_launch_value_on_the_dashboard(
    alice, bob, alice_client, due_pilot
):
    # given: one due (Alice's), one piloting in plan, three live
    piloting_pilot(bob, title="In plan", pilot_end_planned=date(2099, 12, 31))
    reached, leaking = live_pilot(alice, "Reached"), live_pilot(alice, "Leaking")
    on_the_way = live_pilot(alice, "On the way")
    readings(reached, (BEFORE, 80), (AFTER, 59))
    readings(leaking, (BEFORE, 70), (AFTER, 90))
    readings(on_the_way, (BEFORE, 90), (AFTER, 70))

    # when
    html, _ = dashboard(alice_client)
    listed = {
        params: dashboard(alice_client, **dict([params]))[0]
        for params in [("state", "decision_due"), ("value", "reached"), ("value", "leaking")]
    }

    # then
    assert (
        '<a class="figure figure-alert" href="?state=decision_due#pilots">'
        '<span class="number">1</span> decision due' in html
    )
    assert (
        '<a class="figure figure-good" href="?value=reached#pilots"><span class="number">1</span>'
        in html
    )
    assert '<a class="figure" href="?value=on_the_way#pilots"><span class="number">1</span>' in html
    assert (
        '<a class="figure figure-alert" href="?value=leaking#pilots"><span class="number">1</span>'
        in html
    )
    table = {key: text.split('id="pilots"')[1] for key, text in listed.items()}
    assert "Claims triage" in table[("state", "decision_due")]
    assert "In plan" not in table[("state", "decision_due")]
    assert (
        ">Reached<" in table[("value", "reached")]
        and ">Leaking<" not in table[("value", "reached")]
    )
    assert (
        ">Leaking<" in table[("value", "leaking")]
        and ">Reached<" not in table[("value", "leaking")]
    )


def test_its_query_count_does_not_grow_with_decisions_due_or_live_pilots(
    alice, alice_client, due_pilot
):
    # given
    few = dashboard(alice_client)[1], dashboard(alice_client, state="decision_due")[1]
    for n in range(4):
        piloting_pilot(alice, title=f"Due {n}")
        readings(live_pilot(alice, f"Live {n}"), (BEFORE, 70), (AFTER, 50 + 20 * n))
    decisions_due_record(as_of=timezone.localdate())

    # when
    many = dashboard(alice_client)[1], dashboard(alice_client, state="decision_due")[1]

    # then
    assert many == few


def test_it_lists_the_decisions_due_from_me_on_my_work(alice, executive, due_pilot):
    # given
    client = signed_in(executive)
    url = reverse("my_work")
    with CaptureQueriesContext(connection) as one:
        html = client.get(url).content.decode()
    for n in range(3):
        extra = piloting_pilot(alice, title=f"Due {n}")
        pilot_update(pilot=extra, decision_maker=executive)
    decisions_due_record(as_of=timezone.localdate())

    # when
    with CaptureQueriesContext(connection) as four:
        more = client.get(url).content.decode()

    # then
    assert '<h2 id="work-decisions-title">Decisions due <small>1</small>' in html
    assert "<strong>Claims triage</strong>" in html
    assert "Decision due: the planned end passed (29 May 2026)" in html
    assert '<h2 id="work-decisions-title">Decisions due <small>4</small>' in more
    assert len(four) == len(one)
    assert 'id="work-decisions-title"' not in signed_in(alice).get(url).content.decode()


def test_it_shows_the_date_the_target_was_reached_on_my_work(alice, alice_client):
    # given
    pilot = piloting_pilot(alice)
    pilot_update(pilot=pilot, pilot_end_planned=date(2099, 12, 31))
    day = timezone.localdate() - timedelta(days=1)
    reading_add(pilot=pilot, measured_on=day, value=50, by=alice)

    # when
    html = alice_client.get(reverse("my_work")).content.decode()

    # then
    assert f"the success metric reached its target ({day:%-d %b %Y})" in html


def test_it_takes_the_banner_away_when_the_stage_panel_moves_the_pilot(alice_client, due_pilot):
    # when: the stage panel's own move, with htmx
    response = alice_client.post(
        reverse("pilot_move", args=[due_pilot.id]), {"to_stage": "awaiting_decision"}, **HTMX
    )

    # then: the banner is swapped out of band, empty
    html = response.content.decode()
    assert '<div id="decision-due" hx-swap-oob="true">' in html
    assert 'id="decision-due-title"' not in html
