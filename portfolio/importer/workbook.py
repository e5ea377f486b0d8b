"""Reading an inventory kept as an Excel workbook (.xlsx), into the same rows as a CSV
file, so both go through exactly the same checks.

The sheet is streamed (openpyxl in read-only mode, one pass, memory flat in its
rows). Date cells come as dates and numbers as numbers; a date or a number typed as
text is left as text for the importer's rules (`importer.dates`, `importer.cells`).
A formula is read by the value the spreadsheet program saved with it; a workbook
saved without those values (written by a program that does not calculate) is
refused. Hidden columns and empty rows are left out; line numbers are the sheet's row
numbers, as the spreadsheet program shows them.
"""

import io
import zipfile
from datetime import date, datetime

from openpyxl import load_workbook
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

from portfolio.importer.reading import (
    COLUMNS,
    DATE_COLUMNS,
    ImportReport,
    Problem,
    Row,
    check_header,
    column_key,
)

XLSX_MAGIC = b"PK\x03\x04"
UNCACHED = "uncached formula"
# What a workbook may unpack to: a few megabytes of zip must not become gigabytes of
# XML in memory (the shared strings are read whole).
MAX_UNPACKED = 200 * 1024 * 1024


def is_workbook(data: bytes) -> bool:
    return data.startswith(XLSX_MAGIC)


class _SheetParser(WorkSheetParser):
    """openpyxl's own sheet parser, reading the values saved with formulas
    (`data_only`), which also tells a formula saved without its value from an empty
    cell: openpyxl alone reads both as None."""

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        if cell["value"] is None and element.find(FORMULA_TAG) is not None:
            cell["data_type"] = UNCACHED
        return cell


def _hidden_columns(parser: WorkSheetParser) -> set[int]:
    hidden = set()
    for attributes in parser.column_dimensions.values():
        if attributes.get("hidden") in ("1", "true"):
            hidden.update(range(int(attributes["min"]), int(attributes["max"]) + 1))
    return hidden


def _value(cell: dict, line: int, column: str, problems: list[Problem]):
    """A cell as the importer reads it: text, or a date from a date cell."""
    value, kind = cell["value"], cell["data_type"]
    if kind == UNCACHED:
        problems.append(
            Problem(
                line,
                column,
                "is a formula saved without its value: open the workbook in a spreadsheet "
                "program and save it again (or paste the values), then import it",
            )
        )
        return ""
    if kind == "e":
        problems.append(Problem(line, column, f"the cell holds an error ({value})"))
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value if column in DATE_COLUMNS else value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        if column in DATE_COLUMNS:
            problems.append(
                Problem(
                    line,
                    column,
                    f"{value:g} is a number, not a date: format the cell as a date "
                    "(or write it as YYYY-MM-DD)",
                )
            )
            return ""
        return str(int(value)) if float(value).is_integer() else repr(value)
    return "" if value is None else str(value).strip()


def _open_sheet(data: bytes, sheet: str | None, report: ImportReport):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_UNPACKED:
            report.problems.append(
                Problem(1, "file", "unpacks to more than 200 MB: import it in smaller workbooks")
            )
            return None, None
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged or foreign zip: never a traceback for the person
        report.problems.append(
            Problem(1, "file", f"cannot be read as an Excel workbook (.xlsx): {exc}")
        )
        return None, None
    names = book.sheetnames
    if sheet is not None and sheet not in names:
        report.problems.append(
            Problem(
                1, "sheet", f"the workbook has no sheet {sheet!r}; its sheets: {', '.join(names)}"
            )
        )
        return book, None
    worksheets = [ws for ws in book.worksheets if sheet is None or ws.title == sheet]
    if not worksheets:
        report.problems.append(Problem(1, "sheet", "the workbook has no worksheet"))
        return book, None
    return book, worksheets[0]


def read_workbook(data: bytes, report: ImportReport, sheet: str | None = None) -> list[Row]:
    """The rows of the first sheet (or `sheet`): the first row with a cell is the
    header, as in a CSV file."""
    book, ws = _open_sheet(data, sheet, report)
    if ws is None:
        if book is not None:
            book.close()
        return []
    report.read_from = f"sheet {ws.title!r}"
    try:
        return _rows(book, ws, report)
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        report.problems.append(Problem(1, "file", f"the sheet cannot be read: {exc}"))
        return []
    finally:
        book.close()


def _rows(book, ws, report: ImportReport) -> list[Row]:
    header: dict[int, str] | None = None
    rows = []
    with book._archive.open(ws._worksheet_path) as source:
        parser = _SheetParser(
            source,
            ws._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        hidden: set[int] | None = None
        for line, cells in parser.parse():
            if hidden is None:  # the sheet's columns come before its rows
                hidden = _hidden_columns(parser)
            cells = [
                c
                for c in cells
                if c["column"] not in hidden
                and (c["value"] is not None or c["data_type"] == UNCACHED)
            ]
            if header is None:
                names = {c["column"]: column_key(str(c["value"])) for c in cells if c["value"]}
                if names:
                    header = names
                    check_header(list(names.values()), report, line)
                continue
            problems: list[Problem] = []
            values = {}
            for cell in cells:
                name = header.get(cell["column"])
                if name in COLUMNS:
                    values[name] = _value(cell, line, name, problems)
            report.problems.extend(problems)
            if problems or any(v != "" for v in values.values()):
                rows.append(Row(line=line, values=values))
    if header is None:
        report.problems.append(Problem(1, "header", "the sheet is empty or has no header row"))
    return rows
