"""Excel workbooks (.xlsx) import with exactly the rules of CSV files."""

import io
from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from portfolio.models import Pilot, User

HEADER = [
    "reference",
    "title",
    "business_unit",
    "stage",
    "stage_entered_on",
    "deployment_owner_email",
    "pilot_start",
    "pilot_end_planned",
    "success_metric",
    "baseline",
    "target",
]
GOOD = [
    "CC-1",
    "Contact-centre assistant",
    "Customer service",
    "piloting",
    datetime(2026, 3, 1),
    "dana@example.com",
    date(2026, 1, 5),
    date(2026, 9, 30),
    "Hours of manual review per week",
    120,
    60.5,
]


def workbook(tmp_path: Path, *rows: list, header: list = HEADER, build=None) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Inventory"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if build:
        build(book)
    path = tmp_path / "pilots.xlsx"
    book.save(path)
    return path


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_pilots", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(path: Path, *args: str) -> list[str]:
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_pilots", str(path), *args, stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


def test_it_imports_typed_dates_and_numbers(db, tmp_path):
    # when
    out = run(workbook(tmp_path, GOOD))

    # then
    assert "(sheet 'Inventory'): imported 1 new" in out
    pilot = Pilot.objects.get(reference="CC-1")
    assert (pilot.stage_entered_on, pilot.pilot_start, pilot.pilot_end_planned) == (
        date(2026, 3, 1),
        date(2026, 1, 5),
        date(2026, 9, 30),
    )
    assert (pilot.success_metric.baseline, pilot.success_metric.target) == (
        Decimal("120"),
        Decimal("60.5"),
    )
    assert pilot.deployment_owner.email == "dana@example.com"


def test_it_reads_dates_typed_as_text_by_the_rules_of_csv_files(db, tmp_path):
    # given: dates stored as text that read both ways
    row = [*GOOD[:4], "03/01/2026", GOOD[5], "06/01/2026", "", *GOOD[8:]]
    path = workbook(tmp_path, row)

    # when / then: refused without an order, read month first with one
    assert refused(path)[0].startswith(
        "line 2: stage_entered_on: this file writes dates as 03/01/2026: say whether"
    )
    run(path, "--date-order", "MDY")
    assert Pilot.objects.get().pilot_start == date(2026, 6, 1)


def test_it_reads_numbers_typed_as_text(db, tmp_path):
    row = [*GOOD[:9], "1 200,5", "60"]

    run(workbook(tmp_path, row))

    assert Pilot.objects.get().success_metric.baseline == Decimal("1200.5")


def test_it_writes_nothing_on_a_dry_run(db, tmp_path):
    out = run(workbook(tmp_path, GOOD), "--dry-run")

    assert "would import 1 new" in out
    assert not Pilot.objects.exists()
    assert not User.objects.exists()


def test_it_refuses_the_whole_workbook_with_the_sheets_row_numbers(db, tmp_path):
    # given: a good row, two empty rows, then a bad one on row 5 of the sheet
    bad = ["CC-2", "Claims", "Claims", "nowhere", None, "not-an-email"]
    path = workbook(tmp_path, GOOD, [], [], bad)

    problems = refused(path)

    assert problems == [
        "line 5: stage: unknown stage 'nowhere'; expected one of proposed, piloting, "
        "awaiting_decision, scaling, in_production, stopped, research",
        "line 5: deployment_owner_email: 'not-an-email' is not an email address",
    ]
    assert not Pilot.objects.exists()


def test_it_ignores_trailing_empty_rows(db, tmp_path):
    def trailing(book):
        sheet = book.active
        for row in range(3, 40):
            sheet.cell(row=row, column=1, value="")  # cells written, empty
            sheet.cell(row=row, column=2, value=None)

    out = run(workbook(tmp_path, GOOD, build=trailing))

    assert "imported 1 new, 0 updated" in out


def test_it_ignores_hidden_columns(db, tmp_path):
    # given: a hidden column repeating "title" and a hidden column of bad dates
    header = [*HEADER, "title", "pilot_start"]

    def hide(book):
        for letter in ("L", "M"):
            book.active.column_dimensions[letter].hidden = True

    path = workbook(tmp_path, [*GOOD, "Old name", "garbage"], header=header, build=hide)

    run(path)

    assert Pilot.objects.get().title == "Contact-centre assistant"


def test_it_reads_the_first_sheet_unless_told_another(db, tmp_path):
    def second_sheet(book):
        other = book.create_sheet("Archive")
        other.append(HEADER)
        other.append(["OLD-1", "Old pilot", "Finance", "stopped"])

    path = workbook(tmp_path, GOOD, build=second_sheet)

    run(path)
    run(path, "--sheet", "Archive")

    assert sorted(Pilot.objects.values_list("reference", flat=True)) == ["CC-1", "OLD-1"]


def test_it_refuses_a_sheet_it_does_not_have(db, tmp_path):
    problems = refused(workbook(tmp_path, GOOD), "--sheet", "Pilots")

    assert problems == ["line 1: sheet: the workbook has no sheet 'Pilots'; its sheets: Inventory"]


def test_it_refuses_a_formula_saved_without_its_value(db, tmp_path):
    # given: openpyxl writes formulas without computing them, as some programs do
    row = [*GOOD[:9], 120, "=A1*2"]

    problems = refused(workbook(tmp_path, row))

    assert problems == [
        "line 2: target: is a formula saved without its value: open the workbook in a "
        "spreadsheet program and save it again (or paste the values), then import it"
    ]


def test_it_refuses_a_number_in_a_date_column(db, tmp_path):
    row = [*GOOD[:6], 46023, *GOOD[7:]]

    problems = refused(workbook(tmp_path, row))

    assert problems == [
        "line 2: pilot_start: 46023 is a number, not a date: format the cell as a date "
        "(or write it as YYYY-MM-DD)"
    ]


def test_it_refuses_a_cell_holding_an_error(db, tmp_path):
    def error(book):
        book.active["J2"].value = "#DIV/0!"
        book.active["J2"].data_type = "e"

    problems = refused(workbook(tmp_path, GOOD, build=error))

    assert problems == ["line 2: baseline: the cell holds an error (#DIV/0!)"]


def test_it_checks_the_header_of_a_workbook_as_of_a_csv_file(db, tmp_path):
    problems = refused(workbook(tmp_path, ["A", "piloting"], header=["title", "stage"]))

    assert problems == ["line 1: business_unit: required column is missing"]


@pytest.mark.security
@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"PK\x03\x04 not really a zip", "line 1: file: cannot be read as an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "line 1: file: is an Excel 97-2003"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_readable_workbook(db, tmp_path, data, problem):
    path = tmp_path / "pilots.xlsx"
    path.write_bytes(data)

    problems = refused(path)

    assert len(problems) == 1 and problems[0].startswith(problem)


@pytest.mark.security
def test_it_checks_a_workbooks_text_cells_as_a_csv_files(db, tmp_path):
    row = ["X-1", "A" * 201, "Sales", "piloting"]

    problems = refused(workbook(tmp_path, row))

    assert problems == ["line 2: title: is longer than 200 characters"]


def test_it_reads_a_workbook_from_memory_as_from_a_file(db):
    from portfolio.importer import pilots_import

    book = Workbook()
    book.active.append(["title", "business_unit", "stage"])
    book.active.append(["Idea", "Sales", "proposed"])
    buffer = io.BytesIO()
    book.save(buffer)

    report = pilots_import(data=buffer.getvalue())

    assert report.ok and report.created == 1


@pytest.mark.security
def test_it_refuses_a_workbook_that_unpacks_to_too_much(db, tmp_path, monkeypatch):
    monkeypatch.setattr("portfolio.importer.workbook.MAX_UNPACKED", 1000)

    problems = refused(workbook(tmp_path, GOOD))

    assert problems == ["line 1: file: unpacks to more than 200 MB: import it in smaller workbooks"]


def test_the_importer_refuses_a_person_who_may_not_import(db, alice):
    from django.core.exceptions import PermissionDenied

    from portfolio.importer import pilots_import

    with pytest.raises(PermissionDenied, match="import a pilot inventory"):
        pilots_import(data=b"title,business_unit,stage\nA,Sales,proposed\n", by=alice)
    assert not Pilot.objects.exists()
