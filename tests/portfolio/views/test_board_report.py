"""The board report of a period, on the page and as a PDF."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.portfolio.views.test_dashboard import (  # noqa: F401 (the fixture)
    dashboard_queries,
    days_ago,
    portfolio,
)

pytestmark = pytest.mark.usefixtures("portfolio")


def _period(start: int, end: int) -> dict:
    return {"start": days_ago(start).isoformat(), "end": days_ago(end).isoformat()}


def test_it_compares_the_periods_end_with_its_start(alice_client):
    # given: in the last 120 days "Stuck assistant" was recorded (100 days ago) and
    # became stalled, "Dead end" was recorded and stopped, "Fresh idea" recorded
    response = alice_client.get(reverse("board_report"), _period(120, 0))
    # then
    rows = {row["label"].strip(): row for row in response.context["headlines"]}
    assert (rows["Pilots in the portfolio"]["start"], rows["Pilots in the portfolio"]["end"]) == (
        2,
        5,
    )
    assert rows["Pilots in the portfolio"]["change"] == 3
    assert (rows["Stalled"]["start"], rows["Stalled"]["end"]) == (0, 1)
    changes = response.context["changes"]
    assert [p.title for _, p in changes["became_stalled"]] == ["Stuck assistant"]
    assert changes["became_stalled"][0][0] == days_ago(100 - 61)
    assert changes["went_live"] == []


def test_its_headline_figures_follow_the_period(alice_client):
    # given: two periods
    old = alice_client.get(reverse("board_report"), _period(365, 150)).context
    recent = alice_client.get(reverse("board_report"), _period(90, 0)).context
    # then: the end figures differ, and the live pilot went live in the old one
    assert old["figures"]["counts"]["total"] != recent["figures"]["counts"]["total"]
    assert [p.title for _, p in old["changes"]["went_live"]] == ["Invoice reader"]
    content = alice_client.get(reverse("board_report"), _period(365, 150)).content.decode()
    assert f'value="{days_ago(365).isoformat()}"' in content
    assert f'value="{days_ago(150).isoformat()}"' in content


def test_it_shows_the_trends_of_the_period(alice_client):
    content = alice_client.get(reverse("board_report"), _period(120, 0)).content.decode()
    assert 'id="trend-stalls"' in content
    assert "Stalled: 1, up from 0 a quarter ago." in content


def test_it_refuses_a_period_that_ends_after_today(alice_client):
    response = alice_client.get(reverse("board_report"), _period(30, -5))
    assert response.status_code == 200
    assert "That day has not come yet" in response.content.decode()
    assert response.context["end"] == days_ago(0)


def test_it_downloads_the_same_report_as_a_pdf(alice_client):
    # when
    params = _period(120, 0)
    page = alice_client.get(reverse("board_report"), params)
    response = alice_client.get(reverse("board_report_pdf"), params)
    # then: a PDF with the page's figures, trends and lists
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert f"{reverse('board_report_pdf')}?start=" in page.content.decode()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    for words in (
        "Board report",
        "Pilots in the portfolio",
        "Median days awaiting decision",
        "Stalled: 1, up from 0 a quarter ago.",
        "Value below target",
        "Became stalled (1)",
        "Reached production",
        "Stuck assistant",
        "Late forecaster",
    ):
        assert words in text, words
    for row in page.context["headlines"]:
        assert row["label"].strip() in text


def test_it_refuses_the_pdf_to_anonymous_visitors(client):
    response = client.get(reverse("board_report_pdf"))
    assert response.status_code == 302


def test_its_query_count_does_not_grow_with_the_pilots(alice_client, alice):
    from tests.factories import make_awaiting_pilot

    url, params = reverse("board_report"), _period(365, 0)
    few = len(_queries(alice_client, url, params))
    for n in range(10):
        make_awaiting_pilot(owner=alice, entered_on=days_ago(200 + n), title=f"More {n}")
    assert len(_queries(alice_client, url, params)) <= few + 0


def _queries(client, url, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return queries


def test_its_long_lists_show_their_first_rows_and_say_how_many_in_all(alice_client, monkeypatch):
    # given: a report that shows one row of each list
    monkeypatch.setattr("portfolio.selectors.period.REPORT_ROWS", 1)
    params = _period(365, 0)
    # when
    page = alice_client.get(reverse("board_report"), params)
    pdf = alice_client.get(reverse("board_report_pdf"), params)
    # then: two decisions taken in the year (a scale, then a stop), the latest shown;
    # two pilots stalled or drifting, the longest overdue shown
    assert [d.get_outcome_display() for d in page.context["decisions"]] == ["Stop"]
    assert [row["pilot"].title for row in page.context["stalls"]] == ["Stuck assistant"]
    content = page.content.decode()
    assert "The latest 1 of 2; every decision is in the" in content
    assert "The 1 longest overdue of 2;" in content
    assert "state=stalling&amp;sort=days#pilots" in content
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "The latest 1 of 2; every decision is in the portfolio export." in text
    assert "The 1 longest overdue of 2; the dashboard lists them all." in text
