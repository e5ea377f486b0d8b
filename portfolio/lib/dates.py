"""The dates a person, a URL or a file may give: a sane range, checked in one place.

Python's dates reach from year 1 to 9999, and arithmetic near either end overflows
(a stall threshold subtracted from 0001-01-01, say). No pilot lives outside 2000-2100.
"""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import dateformat

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
RANGE_TEXT = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def check_in_range(day: date) -> date:
    """`day` itself, or ValidationError when it is outside the range Pilotgate knows."""
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(f"{day.isoformat()} is out of range: give a date {RANGE_TEXT}.")
    return day


def parse_iso_date(text: str) -> date:
    """A `YYYY-MM-DD` date within the range, or ValidationError saying what is wrong."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"{text!r} is not a date; use YYYY-MM-DD") from None
    return check_in_range(day)


# How a person types a date: as Pilotgate shows it ("7 Oct 2026"), or as a file or a
# URL gives it (2026-10-07, 07/10/2026, 07.10.2026).
DATE_INPUT_FORMATS = ["%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"]
DATE_EXAMPLE = "7 Oct 2026"


class ShownDateInput(forms.DateInput):
    """A date box showing its date the way every page shows dates ("7 Oct 2026") and
    saying how to type one, instead of the browser's own format (mm/dd/yyyy...)."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(
            {"placeholder": f"e.g. {DATE_EXAMPLE}", "autocomplete": "off", **(attrs or {})}
        )

    def format_value(self, value):
        if isinstance(value, date):
            return dateformat.format(value, "j M Y")
        return super().format_value(value)


class BoundedDateField(forms.DateField):
    """A form's date field that refuses dates outside the range with a field error;
    typed as the pages show dates."""

    widget = ShownDateInput
    input_formats = DATE_INPUT_FORMATS
    default_error_messages = {"invalid": f"Enter a date such as {DATE_EXAMPLE}."}

    def to_python(self, value):
        day = super().to_python(value)
        return check_in_range(day) if day else day
