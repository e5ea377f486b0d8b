"""Files written by a real spreadsheet program (LibreOffice Calc, see
importer_fixtures/make_fixtures.py) import exactly as their ISO-dated twins; the ones
whose dates read two ways are refused until the order is given."""

from datetime import date
from pathlib import Path

import pytest
from django.db import transaction

from portfolio.importer import pilots_import
from portfolio.models import Pilot

FIXTURES = Path(__file__).resolve().parents[1] / "importer_fixtures"
TODAY = date(2026, 11, 28)
ORDERS = {"us": "MDY", "uk": "DMY", "de": "DMY"}


def snapshot() -> list[tuple]:
    return [
        (
            p.reference,
            p.title,
            p.business_unit.name,
            p.stage,
            p.stage_entered_on,
            p.deployment_owner.email,
            p.sponsor.email,
            p.risk_tier,
            p.pilot_start,
            p.pilot_end_planned,
            p.success_metric.name,
            p.success_metric.unit,
            p.success_metric.baseline,
            p.success_metric.target,
            p.success_metric.direction,
            p.summary,
        )
        for p in Pilot.objects.select_related(
            "business_unit", "deployment_owner", "sponsor", "success_metric"
        ).order_by("reference")
    ]


def imported(name: str, **options) -> list[tuple]:
    """What importing the fixture stores, rolled back afterwards."""
    with transaction.atomic():
        report = pilots_import(data=(FIXTURES / name).read_bytes(), today=TODAY, **options)
        assert report.ok, [str(problem) for problem in report.problems]
        stored = snapshot()
        transaction.set_rollback(True)
    return stored


@pytest.mark.parametrize("style", ["us", "uk", "de"])
@pytest.mark.parametrize("kind", [".csv", ".xlsx", "-from-csv.xlsx"])
def test_a_file_whose_dates_prove_their_order_imports_as_its_iso_twin(db, style, kind):
    twin = imported("iso-proven.csv")

    assert len(twin) == 3
    assert imported(f"{style}-proven{kind}") == twin


@pytest.mark.parametrize("style", ["us", "uk", "de"])
@pytest.mark.parametrize("kind", [".xlsx", "-from-csv.xlsx"])
def test_a_workbook_needs_no_order_its_dates_are_typed(db, style, kind):
    assert imported(f"{style}-ambiguous{kind}") == imported("iso-ambiguous.csv")


@pytest.mark.parametrize("style", ["us", "uk", "de"])
def test_a_csv_file_whose_dates_read_both_ways_is_refused_until_the_order_is_given(db, style):
    data = (FIXTURES / f"{style}-ambiguous.csv").read_bytes()

    report = pilots_import(data=data, today=TODAY)

    assert [problem.column for problem in report.problems] == ["stage_entered_on"]
    assert "say whether that is" in report.problems[0].problem
    assert not Pilot.objects.exists()
    twin = imported("iso-ambiguous.csv")
    assert imported(f"{style}-ambiguous.csv", date_order=ORDERS[style]) == twin


def test_the_us_file_read_the_european_way_is_not_its_twin(db):
    # the checks above can fail: the wrong order gives other dates (here, a planned end
    # before the start)
    data = (FIXTURES / "us-ambiguous.csv").read_bytes()

    report = pilots_import(data=data, today=TODAY, date_order="DMY")

    assert [str(problem) for problem in report.problems] == [
        "line 2: pilot_end_planned: comes before pilot_start"
    ]


def test_calcs_saved_formulas_are_read_by_their_values(db):
    stored = imported("us-proven.xlsx")

    assert [row[13] for row in stored] == [60, 20, 150]
