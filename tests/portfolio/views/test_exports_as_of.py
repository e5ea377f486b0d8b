"""The exports as of a past day, and the trends for BI tools."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.portfolio.views.test_dashboard import (  # noqa: F401 (the fixture)
    days_ago,
    portfolio,
)

pytestmark = pytest.mark.usefixtures("portfolio")


def test_it_exports_the_portfolio_as_it_stood_on_a_past_day(alice_client):
    # when: 60 days ago "Dead end" and "Fresh idea" did not exist yet
    day = days_ago(60).isoformat()
    data = alice_client.get(reverse("export_json"), {"as_of": day}).json()
    # then
    assert data["as_of"] == day
    assert data["summary"]["total"] == 3
    assert (data["summary"]["stalled"], data["summary"]["by_stage"]["awaiting_decision"]) == (0, 1)
    rows = {row["title"]: row for row in data["pilots"]}
    assert sorted(rows) == ["Invoice reader", "Late forecaster", "Stuck assistant"]
    assert (rows["Stuck assistant"]["stage"], rows["Stuck assistant"]["days_in_stage"]) == (
        "awaiting_decision",
        40,
    )
    assert [d["outcome"] for d in rows["Invoice reader"]["decisions"]] == ["scale"]


def test_its_command_answers_the_same_as_the_json(alice_client):
    day = days_ago(60).isoformat()
    out = io.StringIO()
    call_command("export_portfolio", "--as-of", day, stdout=out)
    assert (
        json.loads(out.getvalue())
        == alice_client.get(reverse("export_json"), {"as_of": day}).json()
    )


def test_it_gives_the_trends_one_row_per_month_and_figure(alice_client):
    # when
    response = alice_client.get(reverse("trends_csv"))
    # then
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    months = sorted({row["month"] for row in rows})
    assert len(months) == 12 and months[-1] == days_ago(0).strftime("%Y-%m")
    now = {row["figure"]: row["value"] for row in rows if row["month"] == months[-1]}
    assert (now["stalled pilots"], now["drifting pilots"]) == ("1", "1")
    assert now["pilots in production"] == "1"


def test_it_gives_the_trends_of_a_chosen_period(alice_client):
    params = {"start": days_ago(90).isoformat(), "end": days_ago(30).isoformat()}
    response = alice_client.get(reverse("trends_csv"), params)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["as_of"] < rows[-1]["as_of"] == params["end"]


@pytest.mark.parametrize(
    "params", [{"end": "2025-02-30"}, {"start": "2026-05-01", "end": "2026-04-01"}]
)
def test_it_refuses_a_bad_period_for_the_trends(alice_client, params):
    response = alice_client.get(reverse("trends_csv"), params)
    assert response.status_code == 400
    assert b"end:" in response.content


def test_it_refuses_the_trends_without_credentials(client):
    assert client.get(reverse("trends_csv")).status_code == 401
