"""The dashboard as of a past day (`?as_of=`) and its trends."""

import pytest
from django.urls import reverse

from portfolio.services.lifecycle import decision_defer
from portfolio.services.parts import cost_line_add
from tests.conftest import HTMX
from tests.factories import UserFactory, make_awaiting_pilot, make_pilot
from tests.portfolio.views.test_dashboard import (  # noqa: F401 (the fixture)
    dashboard_queries,
    days_ago,
    portfolio,
    titles,
)

pytestmark = pytest.mark.usefixtures("portfolio")


def test_it_shows_the_portfolio_as_it_stood_on_a_past_day(alice_client):
    # given: 60 days ago "Dead end" and "Fresh idea" did not exist, "Stuck assistant"
    # had awaited its decision 40 days, "Late forecaster" was within its plan
    day = days_ago(60)
    # when
    response = alice_client.get(reverse("dashboard"), {"as_of": day.isoformat()})
    # then
    assert response.status_code == 200
    counts = response.context["figures"]["counts"]
    assert (counts["total"], counts["stalled"], counts["drifting"]) == (3, 0, 0)
    assert (counts["awaiting_decision"], counts["in_production"]) == (1, 1)
    assert titles(response) == ["Invoice reader", "Late forecaster", "Stuck assistant"]
    assert f"as of {day:%-d %B %Y}".replace(" 0", " ") in response.content.decode()


def test_its_figures_and_links_keep_the_day(alice_client):
    day = days_ago(60).isoformat()
    content = alice_client.get(reverse("dashboard"), {"as_of": day}).content.decode()
    assert f'href="?as_of={day}&amp;stage=piloting#pilots"' in content
    assert f'href="?as_of={day}&amp;state=stalled&amp;sort=days#pilots"' in content
    assert f'name="as_of" value="{day}"' in content
    assert f"{reverse('export_json')}?as_of={day}" in content


def test_it_filters_the_table_as_of_the_day(alice_client):
    # given: stalled today, not yet 60 days ago
    url = reverse("dashboard")
    assert titles(alice_client.get(url, {"state": "stalled"})) == ["Stuck assistant"]
    assert titles(alice_client.get(url, {"state": "stalled", "as_of": days_ago(60)})) == []
    # and a stage then, shown with its days in that stage
    response = alice_client.get(url, {"stage": "awaiting_decision", "as_of": days_ago(60)})
    assert [(p.title, p.get_stage_display(), d) for p, d in response.context["rows"]] == [
        ("Stuck assistant", "Awaiting decision", 40)
    ]


def test_it_sorts_the_past_table_by_the_stage_then(alice_client):
    response = alice_client.get(reverse("dashboard"), {"as_of": days_ago(60), "sort": "stage"})
    assert titles(response) == ["Late forecaster", "Stuck assistant", "Invoice reader"]


def test_it_returns_only_the_past_table_to_htmx(alice_client):
    response = alice_client.get(
        reverse("dashboard"), {"as_of": days_ago(60), "state": "stalled"}, **HTMX
    )
    assert b"<h1" not in response.content
    assert b"No pilot matches these filters" in response.content


def test_it_refuses_a_day_to_come_and_shows_today(alice_client):
    response = alice_client.get(reverse("dashboard"), {"as_of": days_ago(-3).isoformat()})
    assert response.status_code == 200
    assert "That day has not come yet" in response.content.decode()
    assert response.context["figures"]["as_of"] == days_ago(0)


def test_it_refuses_a_date_that_is_no_date(alice_client):
    response = alice_client.get(reverse("dashboard"), {"as_of": "2025-13-45"})
    assert response.status_code == 200
    assert "Enter a date such as 7 Oct 2026" in response.content.decode()


def test_it_draws_trends_whose_points_link_to_their_pilots(alice_client):
    content = alice_client.get(reverse("dashboard")).content.decode()
    assert 'id="trend-stages"' in content
    month_end = days_ago(0).isoformat()
    assert f"?as_of={month_end}&amp;stage=in_production#pilots" in content
    assert 'role="img"' not in content.split('class="trends"')[1].split("</div>")[0]


def test_its_past_query_count_does_not_grow_with_the_pilots(alice_client):
    # given
    params = {"as_of": days_ago(30).isoformat()}
    few = dashboard_queries(alice_client, **params)
    few_stalled = dashboard_queries(alice_client, state="stalled", **params)
    for n in range(15):
        owner = UserFactory()
        pilot = make_awaiting_pilot(owner=owner, entered_on=days_ago(90 + n), title=f"More {n}")
        decision_defer(pilot=pilot, by=owner, reason="Next board")
        cost_line_add(pilot=pilot, category="data", phase="transition", amount=100)
    # when / then
    assert dashboard_queries(alice_client, **params) == few
    assert dashboard_queries(alice_client, state="stalled", **params) == few_stalled


def test_its_kept_trends_follow_every_change_of_the_portfolio(alice_client, alice):
    # given: the trends computed and kept
    from portfolio.services.lifecycle import pilot_stage_move
    from tests.factories import make_chartered_pilot

    before = alice_client.get(reverse("dashboard")).context
    started = sum(c["started"] for c in before["cohorts"])
    # when: a pilot starts
    pilot = make_chartered_pilot(owner=alice, stage_entered_on=days_ago(5), title="New one")
    pilot_stage_move(pilot=pilot, to_stage="piloting", by=alice, on=days_ago(1))
    # then
    after = alice_client.get(reverse("dashboard")).context
    assert sum(c["started"] for c in after["cohorts"]) == started + 1


def test_it_shows_none_for_the_figures_not_kept_for_a_past_day(alice_client):
    # decision due and post-launch value are not kept: "–", and their filters find none
    params = {"as_of": days_ago(60).isoformat()}
    response = alice_client.get(reverse("dashboard"), params)
    assert response.context["figures"]["counts"]["decision_due"] is None
    for extra in ({"state": "decision_due"}, {"value": "leaking"}, {"value": "reached"}):
        assert titles(alice_client.get(reverse("dashboard"), {**params, **extra})) == []


def test_it_lists_the_stops_decided_by_the_day(alice_client):
    # given: "Dead end" was stopped today
    url = reverse("dashboard")
    stops = alice_client.get(url).context["stops"]
    assert [d.pilot.title for d in stops] == ["Dead end"]
    # then: the day before, nothing had been stopped
    yesterday = alice_client.get(url, {"as_of": days_ago(1)}).context["stops"]
    assert list(yesterday) == []
    assert yesterday.paginator.count == 0


def test_it_pages_the_past_table_and_reads_a_page_that_is_no_number_as_the_first(alice_client):
    # given: 30 more pilots recorded 10 days ago, and the 4 of the fixture that existed then
    for n in range(30):
        make_pilot(title=f"Pilot {n:02}", stage_entered_on=days_ago(10))
    url, day = reverse("dashboard"), days_ago(5)
    # when
    first = alice_client.get(url, {"as_of": day, "page": "first"})
    second = alice_client.get(url, {"as_of": day, "page": 2})
    # then
    assert len(titles(first)) == 25
    assert titles(first)[0] == "Dead end"
    assert len(titles(second)) == 34 - 25
    assert "Page 2 of 2" in second.content.decode()
