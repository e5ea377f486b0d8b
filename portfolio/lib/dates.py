"""The dates a person, a URL or a file may give: a sane range, checked in one place.

Python's dates reach from year 1 to 9999, and arithmetic near either end overflows
(a stall threshold subtracted from 0001-01-01, say). No pilot lives outside 2000-2100.
"""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

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


class BoundedDateField(forms.DateField):
    """A form's date field that refuses dates outside the range with a field error."""

    def to_python(self, value):
        day = super().to_python(value)
        return check_in_range(day) if day else day
