"""`export_portfolio --format xlsx`: the CSV's rows as a typed workbook."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tests.factories import make_pilot


def test_it_writes_the_portfolio_as_a_typed_workbook(db, tmp_path):
    make_pilot(title="=1+1", stage_entered_on=date(2026, 2, 1), reference="CC-1")
    path = tmp_path / "portfolio.xlsx"

    call_command(
        "export_portfolio", "--format", "xlsx", "--as-of", "2026-06-01", "--output", str(path)
    )

    sheet = load_workbook(path)["Pilots"]
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    assert row["reference"].value == "CC-1"
    assert (row["title"].data_type, row["title"].value) == ("s", "=1+1")
    assert row["stage_entered_on"].value.date() == date(2026, 2, 1)
    assert row["days_in_stage"].value == 120
    assert sheet.freeze_panes == "A2"


def test_it_asks_for_a_file_to_write_a_workbook_to(db):
    with pytest.raises(CommandError, match="give it a file with --output"):
        call_command("export_portfolio", "--format", "xlsx")
