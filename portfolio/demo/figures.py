"""Moments and amounts the way the demo writes them."""

from datetime import date, datetime, tzinfo
from decimal import Decimal

from django.utils import timezone


def at(day: date, hour: int = 10, minute: int = 0, *, tz: tzinfo | None = None) -> datetime:
    """A moment of a day in the current time zone (pass `tz` when calling it often)."""
    tz = tz or timezone.get_current_timezone()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def amount(value: float) -> Decimal:
    """A figure as people write it: whole numbers when large, one decimal when small."""
    if abs(value) >= 100:
        return Decimal(round(value))
    return Decimal(str(round(value, 1)))


def figure(value: Decimal, unit: str) -> str:
    """An amount with its unit, for a text: `12.5%`, `EUR 300,000`, `6 minutes`."""
    text = f"{value:,.1f}".removesuffix(".0")
    if unit == "%":
        return f"{text}%"
    if unit == "EUR":
        return f"EUR {text}"
    return f"{text} {unit}".strip()
