"""Import an existing pilot inventory from a CSV file or an Excel workbook.

The whole file is checked before anything is written: one bad row refuses the file,
and every problem is reported as `line N: column: problem` (line 1 is the header).
A workbook's rows go through exactly the checks of a CSV file's. Rows are written
through the pilot services, like any other entry point.
"""

from datetime import date

from django.utils import timezone

from portfolio.importer.cells import check_row
from portfolio.importer.dates import date_order_decide
from portfolio.importer.reading import (
    DATE_COLUMNS,
    ImportReport,
    Problem,
    Row,
    decode,
    read_rows,
)
from portfolio.importer.workbook import is_workbook, read_workbook
from portfolio.importer.writing import rows_write
from portfolio.models import User
from portfolio.rules import require_perm


def _read(data: bytes, report: ImportReport, sheet: str | None) -> list[Row]:
    """The file's rows, a workbook's or a CSV file's alike."""
    if is_workbook(data):
        return read_workbook(data, report, sheet)
    text = decode(data, report)
    if report.problems:
        return []
    _, rows = read_rows(text, report)
    return rows


def pilots_import(
    *,
    data: bytes,
    dry_run: bool = False,
    by: User | None = None,
    today: date | None = None,
    date_order: str | None = None,
    sheet: str | None = None,
) -> ImportReport:
    """Check a whole CSV file or workbook, then write it, or nothing at all.

    1. Read the header and every row (a workbook: its first sheet, or `sheet`);
       decide the order of its slash and dot dates (`date_order`, or what the file
       proves, `importer.dates`); check each cell and that no reference appears
       twice. Any problem: return the report, nothing written.
    2. In one transaction, create or update each pilot (by reference; without one,
       by title within its business unit). Unknown emails become users who set
       their password through a password reset. A pilot past `proposed` whose
       charter is incomplete is imported and flagged in the warnings.
    3. A dry run rolls the transaction back: the report says what would happen.
    """
    if by is not None:  # a person (the upload page); the command is the operator's
        require_perm(by, "portfolio.import_pilots", None, "a pilot inventory")
    today = today or timezone.localdate()
    report = ImportReport(dry_run=dry_run)
    rows = _read(data, report, sheet)
    if report.problems and all(problem.line == 1 for problem in report.problems):
        return report  # a broken file or header: the rows cannot be read against it
    seen = _check_dates_and_rows(rows, today, report, date_order)
    if not rows and not report.problems:
        report.problems.append(Problem(2, "row", "the file has a header but no pilots"))
    if report.problems:
        report.problems.sort(key=lambda p: p.line)
        return report
    rows_write(rows, references=list(seen), by=by, today=today, report=report)
    report.problems.sort(key=lambda p: p.line)
    return report


def _check_dates_and_rows(
    rows: list[Row], today: date, report: ImportReport, date_order: str | None
) -> dict[str, int]:
    """The file's date order decided, then every row checked (`_check_rows`)."""
    dates = date_order_decide(
        [
            (row.line, column, row.values[column])
            for row in rows
            for column in DATE_COLUMNS
            if isinstance(row.values.get(column), str) and row.values[column]
        ],
        date_order,
    )
    report.date_order, report.date_note = dates.order or "", dates.note
    report.problems.extend(dates.problems)
    return _check_rows(rows, today, report, dates.order)


def _check_rows(
    rows: list[Row], today: date, report: ImportReport, date_order: str | None
) -> dict[str, int]:
    """Check every row (each problem onto the report) and that no reference appears
    twice; return each reference with its first line."""
    seen: dict[str, int] = {}
    for row in rows:
        report.problems.extend(check_row(row, today, date_order))
        reference = row.values.get("reference")
        if reference:
            if reference in seen:
                report.problems.append(
                    Problem(
                        row.line, "reference", f"{reference!r} is already on line {seen[reference]}"
                    )
                )
            seen.setdefault(reference, row.line)
    return seen
