"""The template workbook a newcomer fills in: the import's columns, each with its note,
date columns typed as dates, drop-down lists for stage, risk tier and direction, and
one example row. It imports as it is (the example row)."""

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from portfolio.importer.reading import COLUMNS, DATE_COLUMNS, REQUIRED
from portfolio.models import Direction, RiskTier, Stage

NOTES = {
    "reference": "Your own identifier of the pilot (at most 60 characters). A row updates "
    "the pilot with the same reference; without one, the pilot of that title in that unit.",
    "title": "Required. The pilot's name (at most 200 characters).",
    "business_unit": "Required. The unit it belongs to; an unknown unit is created.",
    "stage": "Required. One of the list: " + ", ".join(Stage.values) + ".",
    "stage_entered_on": "The date the pilot entered its stage (a date, not in the future). "
    "Blank: the day of the import.",
    "deployment_owner_email": "The deployment owner: accountable for deployment if it works. "
    "An unknown email becomes a user, who sets a password by password reset.",
    "sponsor_email": "The sponsor: opened doors and funded the pilot.",
    "delivery_owner_email": "The delivery owner: drives the cross-functional work to production.",
    "decision_maker_email": "Who takes the go-live decision, when not the deployment owner.",
    "risk_owner_email": "Who accepts the risk: never the pilot's deployment or delivery "
    "owner; on a high-risk pilot not its decision maker either.",
    "risk_tier": "One of the list: low (fast track), medium, high.",
    "pilot_start": "The day the pilot started (a date).",
    "pilot_end_planned": "The day it is planned to end (a date, not before pilot_start).",
    "success_metric": "The business number that, if hit, triggers the production decision.",
    "metric_unit": "The metric's unit, e.g. hours.",
    "baseline": "The metric today (a number).",
    "target": "The metric that means success (a number).",
    "direction": "increase or decrease (blank: decided from baseline and target).",
    "summary": "What the pilot does, in a few sentences.",
}

EXAMPLE = {
    "reference": "CC-1",
    "title": "Contact-centre assistant",
    "business_unit": "Customer service",
    "stage": Stage.PILOTING,
    "stage_entered_on": date(2026, 3, 1),
    "deployment_owner_email": "dana.owner@example.com",
    "sponsor_email": "sam.sponsor@example.com",
    "risk_tier": RiskTier.MEDIUM,
    "pilot_start": date(2026, 3, 1),
    "pilot_end_planned": date(2026, 8, 31),
    "success_metric": "Hours of manual review per week",
    "metric_unit": "hours",
    "baseline": 120,
    "target": 60,
    "direction": Direction.DECREASE,
    "summary": "Drafts replies from the knowledge base for the consultants to check.",
}

FILLED_ROWS = 1000  # the rows below the header that get the date format and the lists
WIDE = {"title": 36, "summary": 60, "success_metric": 34}


def _list(values: list[str], column: str, sheet) -> None:
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(values) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=column,
        error=f"Choose one of: {', '.join(values)}",
    )
    sheet.add_data_validation(validation)
    validation.add(f"{column}2:{column}{FILLED_ROWS + 1}")


def template_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Pilots"
    sheet.freeze_panes = "A2"
    letters = {name: get_column_letter(index) for index, name in enumerate(COLUMNS, start=1)}
    for name, letter in letters.items():
        cell = sheet[f"{letter}1"]
        cell.value = name
        cell.font = Font(bold=True)
        cell.comment = Comment(NOTES[name], "Pilotgate", width=300, height=120)
        sheet.column_dimensions[letter].width = WIDE.get(name, 22)
        value = EXAMPLE.get(name)
        example = sheet[f"{letter}2"]
        example.value = value.value if hasattr(value, "value") else value
    for name in DATE_COLUMNS:
        letter = letters[name]
        for row in range(2, FILLED_ROWS + 2):
            sheet[f"{letter}{row}"].number_format = "yyyy-mm-dd"
        dates = DataValidation(
            type="date",
            operator="between",
            formula1="DATE(2000,1,1)",
            formula2="DATE(2100,12,31)",
            allow_blank=True,
            showErrorMessage=True,
            error="A date between 2000-01-01 and 2100-12-31",
        )
        sheet.add_data_validation(dates)
        dates.add(f"{letter}2:{letter}{FILLED_ROWS + 1}")
    _list(Stage.values, letters["stage"], sheet)
    _list(RiskTier.values, letters["risk_tier"], sheet)
    _list(Direction.values, letters["direction"], sheet)
    _notes_sheet(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _notes_sheet(book) -> None:
    notes = book.create_sheet("Columns")
    notes.append(["column", "required", "what it holds"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for name in COLUMNS:
        notes.append([name, "yes" if name in REQUIRED else "", NOTES[name]])
    notes.column_dimensions["A"].width = 26
    notes.column_dimensions["C"].width = 100
