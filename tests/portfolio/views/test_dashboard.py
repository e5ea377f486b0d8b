import base64
import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gates.models import Criterion
from gates.services import evidence_review, evidence_submit, signoff_record
from portfolio.models import Role, Waiver
from portfolio.services.decisions import waiver_close
from portfolio.services.lifecycle import decision_defer, decision_record, pilot_stage_move
from portfolio.services.parts import cost_line_add, reading_add
from portfolio.services.pilots import pilot_update
from tests.conftest import HTMX
from tests.factories import (
    BusinessUnitFactory,
    UserFactory,
    make_awaiting_pilot,
    make_chartered_pilot,
    make_pilot,
    scale_ready,
)


def days_ago(n: int):
    return timezone.localdate() - timedelta(days=n)


@pytest.fixture
def portfolio(alice, bob, executive):
    """A stalled pilot of alice's, a drifting one of bob's, a stopped and a live one."""
    stalled = make_awaiting_pilot(owner=alice, entered_on=days_ago(100), title="Stuck assistant")
    drifting = make_chartered_pilot(
        owner=bob,
        title="Late forecaster",
        business_unit=BusinessUnitFactory(name="Finance"),
        pilot_start=days_ago(200),
        pilot_end_planned=days_ago(20),
        stage_entered_on=days_ago(210),
    )
    pilot_stage_move(pilot=drifting, to_stage="piloting", by=bob, on=days_ago(200))
    stopped = make_awaiting_pilot(owner=alice, entered_on=days_ago(50), title="Dead end")
    decision_record(pilot=stopped, outcome="stop", by=executive, rationale="Value below target")
    live = make_awaiting_pilot(owner=bob, entered_on=days_ago(300), title="Invoice reader")
    decision_record(
        pilot=live,
        outcome="scale",
        by=executive,
        rationale="Target hit",
        on=days_ago(250),
        **scale_ready(live, by=executive),
    )
    pilot_stage_move(pilot=live, to_stage="in_production", by=bob, on=days_ago(200))
    reading_add(pilot=live, measured_on=days_ago(10), value=55)
    cost_line_add(pilot=live, category="integration", phase="pilot", amount=10000)
    cost_line_add(pilot=live, category="integration", phase="transition", amount=45000)
    make_pilot(title="Fresh idea")
    return {"stalled": stalled, "drifting": drifting, "stopped": stopped, "live": live}


def titles(response) -> list[str]:
    return [pilot.title for pilot, _ in response.context["rows"]]


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_signs_in_with_email_and_password(client, alice):
    response = client.post(
        reverse("login"), {"username": "alice@example.com", "password": "correct horse battery"}
    )

    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_it_refuses_a_wrong_password_with_a_message(client, alice):
    response = client.post(reverse("login"), {"username": "alice@example.com", "password": "no"})

    assert response.status_code == 200
    assert "Your email and password do not match" in response.content.decode()


def test_it_answers_the_board_questions(alice_client, portfolio):
    # when
    response = alice_client.get(reverse("dashboard"))

    # then
    counts = response.context["figures"]["counts"]
    assert counts["total"] == 5
    assert counts["stalled"] == 1
    assert counts["drifting"] == 1
    assert counts["stopped"] == 1
    assert counts["in_production"] == 1
    assert counts["measured_value"] == 1
    assert counts["past_end"] == 1
    assert response.context["figures"]["cost_totals"]["EUR"]["transition"] == 45000
    content = response.content.decode()
    assert "Value below target" in content  # the stop's recorded reason
    assert "Stuck assistant" in content and "Late forecaster" in content
    assert "<svg" in content


def test_it_lists_stalls_worst_first_with_owner_and_signals(alice_client, portfolio, executive):
    # given: a pilot with no owner, stalled longer than alice's
    unowned = make_awaiting_pilot(owner=executive, entered_on=days_ago(400), title="Orphan")
    pilot_update(pilot=unowned, deployment_owner=None)

    # when
    stalls = alice_client.get(reverse("dashboard")).context["stalls"]

    # then
    assert [row["pilot"].title for row in stalls] == [
        "Orphan",
        "Stuck assistant",
        "Late forecaster",
    ]
    assert [row["days"] for row in stalls] == [400, 100, 20]
    assert "Nobody named to make the final call" in stalls[0]["signals"]
    assert "Almost ready for too long" in stalls[1]["signals"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stage": "stopped"}, ["Dead end"]),
        ({"state": "stalled"}, ["Stuck assistant"]),
        ({"state": "drifting"}, ["Late forecaster"]),
        ({"state": "stalling"}, ["Late forecaster", "Stuck assistant"]),
        ({"value": "measured"}, ["Invoice reader"]),
        ({"q": "forecast"}, ["Late forecaster"]),
        ({"q": "bob@"}, ["Invoice reader", "Late forecaster"]),
        ({"risk_tier": "high"}, []),
    ],
)
def test_it_filters_the_pilot_table(alice_client, portfolio, params, expected):
    response = alice_client.get(reverse("dashboard"), params)

    assert titles(response) == expected


def test_the_decision_rate_links_to_the_pilots_past_their_planned_end(alice_client, portfolio):
    figures = alice_client.get(reverse("dashboard")).context["figures"]

    response = alice_client.get(reverse("dashboard"), {"state": "past_end"})

    assert response.context["form"].cleaned_data["state"] == "past_end"
    assert len(titles(response)) == figures["counts"]["past_end"] > 0
    assert 'href="?state=past_end#pilots"' in alice_client.get(reverse("dashboard")).text


def test_it_filters_by_business_unit_and_owner(alice_client, portfolio, bob):
    finance = portfolio["drifting"].business_unit

    by_unit = alice_client.get(reverse("dashboard"), {"business_unit": finance.id})
    by_owner = alice_client.get(reverse("dashboard"), {"owner": bob.id})

    assert titles(by_unit) == ["Late forecaster"]
    assert titles(by_owner) == ["Invoice reader", "Late forecaster"]


def test_it_filters_pilots_blocked_at_a_gate_and_those_that_passed(alice_client, portfolio):
    # given: legal objects to a data criterion of the stalled pilot
    legal = UserFactory(email="lee@example.com", role=Role.REVIEWER, function="legal")
    criterion = Criterion.objects.get(gate__key="data", function="legal")
    signoff_record(
        pilot=portfolio["stalled"],
        criterion=criterion,
        by=legal,
        verdict="objected",
        comment="Customers must be told AI helped",
    )

    blocked = alice_client.get(reverse("dashboard"), {"blocked_gate": "data"})
    any_blocked = alice_client.get(reverse("dashboard"), {"readiness": "blocked"})
    passed = alice_client.get(reverse("dashboard"), {"readiness": "passed_all"})

    assert titles(blocked) == ["Stuck assistant"]
    assert titles(any_blocked) == ["Stuck assistant"]
    assert titles(passed) == []
    assert blocked.context["page"].paginator.count == 1


def test_it_counts_a_pilot_that_passed_every_gate(alice_client, alice):
    # given: a low-risk pilot whose every applicable required criterion is proven
    pilot = make_chartered_pilot(owner=alice, title="Fast track", risk_tier="low")
    reviewers = {}
    for criterion in Criterion.objects.filter(applies_to_low=True):
        function = criterion.function or "business"
        if function not in reviewers:
            reviewers[function] = UserFactory(role=Role.REVIEWER, function=function)
        reviewer = reviewers[function]
        evidence = evidence_submit(pilot=pilot, criterion=criterion, by=alice, text="Done")
        evidence_review(evidence=evidence, by=reviewer, accept=True)
        if criterion.function:
            signoff_record(pilot=pilot, criterion=criterion, by=reviewer, verdict="signed_off")

    response = alice_client.get(reverse("dashboard"), {"readiness": "passed_all"})

    assert titles(response) == ["Fast track"]
    assert alice_client.get(reverse("dashboard")).context["figures"]["counts"]["passed_all"] == 1


def test_it_sorts_the_pilot_table(alice_client, portfolio):
    longest_first = alice_client.get(reverse("dashboard"), {"sort": "days"})
    reversed_titles = alice_client.get(reverse("dashboard"), {"sort": "-title"})

    assert titles(longest_first)[0] == "Invoice reader"
    assert titles(reversed_titles) == sorted(titles(reversed_titles), reverse=True)


def test_it_shows_a_bad_filter_as_a_message_and_ignores_it(alice_client, portfolio):
    response = alice_client.get(
        reverse("dashboard"), {"stage": "nowhere", "owner": "abc", "page": "x"}
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert len(titles(response)) == 5


def test_it_returns_only_the_table_to_htmx(alice_client, portfolio):
    response = alice_client.get(reverse("dashboard"), {"stage": "stopped"}, **HTMX)

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="pilots"')
    assert "<html" not in content
    assert "Dead end" in content
    assert "figures" not in response.context
    assert "HX-Request" in response["Vary"]


def test_it_keeps_every_filter_working_without_javascript(alice_client, portfolio):
    content = alice_client.get(reverse("dashboard"), {"stage": "stopped"}).content.decode()

    assert f'method="get" action="{reverse("dashboard")}#pilots"' in content
    assert '<a href="?stage=stopped&amp;sort=title"' in content


def test_it_paginates_the_pilot_table(alice_client, alice):
    for n in range(30):
        make_pilot(title=f"Pilot {n:02}")

    first = alice_client.get(reverse("dashboard"))
    second = alice_client.get(reverse("dashboard"), {"page": 2})

    assert len(titles(first)) == 25
    assert len(titles(second)) == 5
    assert "Page 2 of 2" in second.content.decode()


def test_it_shows_gates_with_a_symbol_and_text_not_colour_alone(alice_client, portfolio):
    content = alice_client.get(reverse("dashboard"), {"stage": "proposed"}).content.decode()

    assert (
        '<li class="mark gate-open" title="Business ownership: Open">'
        '<span aria-hidden="true">○</span>'
        '<span class="visually-hidden">Business ownership: Open</span></li>'
    ) in content


def dashboard_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard"), params).status_code == 200
    return len(queries)


def test_its_query_count_does_not_grow_with_the_pilots(alice_client, portfolio, executive):
    # given
    few = dashboard_queries(alice_client)
    few_filtered = dashboard_queries(alice_client, state="stalling")
    for n in range(15):
        owner = UserFactory()
        pilot = make_awaiting_pilot(owner=owner, entered_on=days_ago(90 + n), title=f"More {n}")
        decision_defer(pilot=pilot, by=owner, reason="Next board")
        cost_line_add(pilot=pilot, category="data", phase="transition", amount=100)

    # when / then
    assert dashboard_queries(alice_client) == few
    assert dashboard_queries(alice_client, state="stalling") == few_filtered


def test_it_downloads_the_filtered_pilots_as_csv(alice_client, portfolio):
    response = alice_client.get(reverse("pilots_csv"), {"state": "stalling"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["title"] for row in rows) == ["Late forecaster", "Stuck assistant"]
    assert {row["stalled"] for row in rows} == {"yes", "no"}


def test_it_serves_the_portfolio_json_to_a_signed_in_user(alice_client, portfolio):
    data = alice_client.get(reverse("export_json")).json()

    assert data["summary"]["total"] == 5
    assert {pilot["title"] for pilot in data["pilots"]} >= {"Stuck assistant", "Dead end"}


def test_it_serves_the_portfolio_json_to_a_tool_with_basic_credentials(client, alice, portfolio):
    token = base64.b64encode(b"alice@example.com:correct horse battery").decode()

    response = client.get(reverse("export_json"), HTTP_AUTHORIZATION=f"Basic {token}")

    assert response.status_code == 200
    assert response.json()["summary"]["stalled"] == 1


@pytest.mark.parametrize(
    "header", [None, "Basic " + base64.b64encode(b"alice@example.com:x").decode(), "Basic %%%"]
)
def test_it_refuses_the_json_without_valid_credentials(client, alice, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get(reverse("export_json"), **extra)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")


def test_it_refuses_a_bad_as_of_date_for_the_json(alice_client):
    response = alice_client.get(reverse("export_json"), {"as_of": "2026-02-30"})

    assert response.status_code == 400
    assert "is not a date" in response.json()["error"]


def test_it_prints_a_board_report_with_the_decisions_of_the_period(alice_client, portfolio):
    response = alice_client.get(
        reverse("board_report"), {"start": days_ago(30).isoformat(), "end": days_ago(0).isoformat()}
    )

    content = response.content.decode()
    assert "Value below target" in content  # the stop, taken today
    assert "Target hit" not in content  # the scale, 250 days ago
    assert "Stuck assistant" in content  # in the stall list
    assert "css/pilotgate.css" in content  # whose print rules hide the navigation


def test_it_says_when_the_report_period_is_backwards(alice_client, portfolio):
    response = alice_client.get(
        reverse("board_report"), {"start": "2026-05-01", "end": "2026-04-01"}
    )

    assert response.status_code == 200
    assert "The end of the period comes before its start." in response.content.decode()


def test_it_shows_a_pilot_page(alice_client, portfolio):
    response = alice_client.get(reverse("pilot_detail", args=[portfolio["stalled"].id]))

    content = response.content.decode()
    assert "Stuck assistant" in content
    assert "Business ownership" in content
    assert "Awaiting decision" in content


def test_it_answers_404_for_a_pilot_that_does_not_exist(alice_client, db):
    response = alice_client.get(reverse("pilot_detail", args=[999999]))

    assert response.status_code == 404


def test_it_counts_the_pilots_scaled_with_open_waivers_and_lists_them(alice_client, portfolio, bob):
    # given: the live pilot was scaled with its gates waived; one waiver is overdue
    live = portfolio["live"]
    waivers = list(Waiver.objects.filter(pilot=live).order_by("id"))
    Waiver.objects.filter(pk=waivers[0].pk).update(due_on=days_ago(1))
    for waiver in waivers[1:]:
        waiver_close(waiver=waiver, by=bob)

    # when
    dashboard = alice_client.get(reverse("dashboard"))
    report = alice_client.get(reverse("board_report")).content.decode()

    # then
    counts = dashboard.context["figures"]["counts"]
    assert (counts["scaled_with_open_waivers"], counts["scaled_with_overdue_waivers"]) == (1, 1)
    assert "1</span> scaled with open waivers, 1 overdue" in dashboard.content.decode()
    assert "Open waivers (1)" in report and "overdue</strong>" in report
    assert "Close Business ownership before go-live" in report
    waiver_close(waiver=waivers[0], by=bob)
    counts = alice_client.get(reverse("dashboard")).context["figures"]["counts"]
    assert counts["scaled_with_open_waivers"] == 0
