"""The portfolio export flattened into CSV rows or a workbook: one row a pilot, every
text cell safe to open in a spreadsheet program (`portfolio.lib.spreadsheets`)."""

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gates.models import GATE_KEYS
from portfolio.lib.spreadsheets import safe_row
from portfolio.selectors.dashboard import pilots_filter
from portfolio.selectors.export import export_queryset, pilot_export_row

CSV_HEADER = [
    "reference",
    "title",
    "business_unit",
    "stage",
    "stage_entered_on",
    "deployment_owner",
    "risk_tier",
    "pilot_start",
    "pilot_end_planned",
    "go_live_on",
    "stalled",
    "drifting",
    "days_in_stage",
    "stall_signals",
    "charter_missing",
    *[f"gate_{key}" for key in GATE_KEYS],
    "decisions",
    "last_decision",
    "last_decision_on",
    "cost_pilot",
    "cost_transition",
    "cost_run",
]


def _flat(row: dict) -> dict:
    last = row["decisions"][-1] if row["decisions"] else None
    flat = {
        **row,
        "stalled": "yes" if row["stalled"] else "no",
        "drifting": "yes" if row["drifting"] else "no",
        "stall_signals": ";".join(row["stall_signals"]),
        "charter_missing": ";".join(row["charter_missing"]),
        **{f"gate_{key}": status for key, status in row["gates"].items()},
        "decisions": len(row["decisions"]),
        "last_decision": last["outcome"] if last else "",
        "last_decision_on": last["decided_on"] if last else "",
        **{f"cost_{phase}": total for phase, total in row["cost"].items()},
    }
    return flat


def pilot_csv_row(row: dict) -> list:
    flat = _flat(row)
    return safe_row(flat[name] for name in CSV_HEADER)


def _pilot_rows(*, as_of: date, filters: dict | None) -> Iterator[dict]:
    pilots = pilots_filter(export_queryset(as_of=as_of), as_of=as_of, **(filters or {}))
    for pilot in pilots.iterator(chunk_size=2000):
        yield _flat(pilot_export_row(pilot, as_of=as_of))


def portfolio_csv_rows(*, as_of: date, filters: dict | None = None) -> Iterator[list]:
    """The header, then a row a pilot; `filters` are those of `pilots_filter`."""
    yield CSV_HEADER
    for flat in _pilot_rows(as_of=as_of, filters=filters):
        yield safe_row(flat[name] for name in CSV_HEADER)


# The workbook's typed columns; the others are text.
DATE_COLUMNS = {"stage_entered_on", "pilot_start", "pilot_end_planned", "go_live_on"}
DATE_COLUMNS |= {"last_decision_on"}
MONEY_COLUMNS = {"cost_pilot", "cost_transition", "cost_run"}
WIDTHS = {"title": 40, "business_unit": 24, "deployment_owner": 30, "stall_signals": 36}
WIDTHS |= {"charter_missing": 36, "reference": 14}


def typed_cell(sheet, value, *, number_format: str = ""):
    """A workbook cell holding `value` as what it is: a date, a number, or text, and text
    always text: a title such as `=HYPERLINK(...)` is stored as a string cell, never
    as a formula, so no spreadsheet program runs it."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    return cell


def _typed(sheet, name: str, value):
    if name in DATE_COLUMNS:
        value = date.fromisoformat(value) if value else None
        return typed_cell(sheet, value, number_format="yyyy-mm-dd")
    if name in MONEY_COLUMNS:
        return typed_cell(sheet, Decimal(value), number_format="#,##0.00")
    return typed_cell(sheet, value)


def portfolio_workbook(*, as_of: date, filters: dict | None = None) -> bytes:
    """The rows of `portfolio_csv_rows` as an .xlsx workbook: dates as dates, numbers as
    numbers, the header row frozen, column widths set. Written row by row (openpyxl's
    write-only mode), so memory stays flat in the number of pilots."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Pilots")
    sheet.freeze_panes = "A2"
    for index, name in enumerate(CSV_HEADER, start=1):
        width = WIDTHS.get(name, 14 if name in DATE_COLUMNS | MONEY_COLUMNS else 12)
        sheet.column_dimensions[get_column_letter(index)].width = width
    header = []
    for name in CSV_HEADER:
        cell = typed_cell(sheet, name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for flat in _pilot_rows(as_of=as_of, filters=filters):
        sheet.append([_typed(sheet, name, flat[name]) for name in CSV_HEADER])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
