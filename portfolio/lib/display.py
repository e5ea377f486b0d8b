"""How a value reads on a page, in an email or in a message: one formatter for all."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import dateformat, timezone


def shown(value, *, empty: str = "–") -> str:
    """`value` as people read it: a number without trailing zeros, a date as
    "3 Mar 2026", a moment in local time, yes/no, and `empty` for nothing."""
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime):
        return dateformat.format(timezone.localtime(value), "j M Y H:i")
    if isinstance(value, date):
        return dateformat.format(value, "j M Y")
    return str(value)


def money(value: Decimal) -> str:
    """An amount with thousands separators and cents: "12,000.00"."""
    return f"{value:,.2f}"
