"""Dates in an inventory, never guessed.

ISO dates (`2026-06-01`) and year-first slash dates (`2026/06/01`) read one way only.
A slash or dot date whose year comes last (`06/01/2026`) is day-first in Europe and
month-first in the United States: it is read in the order the person gives
(`--date-order`, or the upload page's choice) or, without one, in the order the file
itself proves (a first part over 12 is a day, a second part over 12 is a day). A file
that proves neither, or both, is refused with what to do about it.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.db import models

from portfolio.importer.reading import Problem


class DateOrder(models.TextChoices):
    DMY = "DMY", "day first: 06/01/2026 is 6 January 2026"
    MDY = "MDY", "month first: 06/01/2026 is 1 June 2026"
    YMD = "YMD", "year first: 26/01/06 is 6 January 2026"


SHORT = {
    DateOrder.DMY: "day first (DD/MM/YYYY)",
    DateOrder.MDY: "month first (MM/DD/YYYY)",
    DateOrder.YMD: "year first (YY/MM/DD)",
}

ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
# Three numbers joined by one separator (slash or dot), perhaps followed by a time.
NUMERIC = re.compile(r"(\d{1,4})([/.])(\d{1,2})\2(\d{1,4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(text: str) -> int | None:
    """A year as written last: four digits, or two meaning 20YY."""
    if len(text) == 4:
        return int(text)
    return 2000 + int(text) if len(text) == 2 else None


def _read(first: str, second: str, last: str, order: str) -> date | None:
    if len(first) == 4:  # 2026/06/01: the year first can only be followed by the month
        return _day(int(first), int(second), int(last)) if len(last) <= 2 else None
    if order == DateOrder.YMD:
        return _day(2000 + int(first), int(second), int(last)) if len(first) == 2 else None
    year = _year(last)
    if year is None:
        return None
    if order == DateOrder.DMY:
        return _day(year, int(second), int(first))
    return _day(year, int(first), int(second))


class OrderUndecided(ValueError):
    """A date that reads two ways, or one way in a file that reads the other way too:
    the file is refused as a whole (`date_order_decide`), not this cell."""


def readings(text: str) -> dict[str, date]:
    """What a slash or dot date whose year comes last may mean: day first, month first
    (one reading, two, or none when it is not a date either way)."""
    match = NUMERIC.fullmatch(text)
    if not match or len(match.group(1)) == 4:
        return {}
    first, _, second, last = match.groups()
    found = {order: _read(first, second, last, order) for order in (DateOrder.DMY, DateOrder.MDY)}
    return {order: day for order, day in found.items() if day}


def _same_both_ways(found: dict[str, date]) -> bool:
    return len(found) == 2 and len(set(found.values())) == 1  # 06/06/2026


def parse_date(text: str, order: str | None) -> date:
    """The date `text` means, read in `order` where it needs one; ValueError saying
    what is wrong otherwise (OrderUndecided when the order is not known)."""
    if match := ISO.fullmatch(text):
        if day := _day(*(int(part) for part in match.groups())):
            return day
        raise ValueError(f"{text!r} is not a date")
    if match := NUMERIC.fullmatch(text):
        first, _, second, last = match.groups()
        if order is None and len(first) < 4:
            found = readings(text)
            if _same_both_ways(found):
                return found[DateOrder.DMY]
            if found:
                raise OrderUndecided(text)
        elif day := _read(first, second, last, order):
            return day
        how = f" read {SHORT[order]}" if order and len(first) < 4 else ""
        raise ValueError(f"{text!r} is not a date{how}")
    raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-06-01")


def _spelled(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


@dataclass
class OrderDecision:
    order: str | None  # None: the file has no date that needs one
    note: str = ""  # for the report: the order used, and why
    problems: list[Problem] = field(default_factory=list)


def date_order_decide(cells: list[tuple[int, str, str]], given: str | None) -> OrderDecision:
    """The order of the file's slash and dot dates. `cells` are (line, column, text)
    of its date cells written as text; `given` the order the person chose, if any."""
    found = {cell: readings(cell[2]) for cell in cells}
    cells = [cell for cell in cells if found[cell] and not _same_both_ways(found[cell])]
    if given:
        return OrderDecision(given, f"dates read {SHORT[given]}, as asked")
    if not cells:
        return OrderDecision(None)
    proofs: dict[str, list[tuple[int, str, str]]] = {DateOrder.DMY: [], DateOrder.MDY: []}
    for cell in cells:
        if len(found[cell]) == 1:
            proofs[next(iter(found[cell]))].append(cell)
    day_first, month_first = proofs[DateOrder.DMY], proofs[DateOrder.MDY]
    if day_first and month_first:
        return OrderDecision(None, problems=_mixed(day_first, month_first))
    for order, found in proofs.items():
        if found:
            line, column, text = found[0]
            note = f"dates read {SHORT[order]}, as line {line} shows ({column}: {text})"
            return OrderDecision(order, note)
    return OrderDecision(None, problems=[_undecided(cells)])


def _undecided(cells: list[tuple[int, str, str]]) -> Problem:
    line, column, text = cells[0]
    both = readings(text)
    as_day_first, as_month_first = both[DateOrder.DMY], both[DateOrder.MDY]
    columns = ", ".join(dict.fromkeys(column for _, column, _ in cells))
    return Problem(
        line,
        column,
        f"this file writes dates as {text}: say whether that is {_spelled(as_day_first)} "
        f"or {_spelled(as_month_first)} with --date-order DMY or MDY, or on the upload "
        f"page (every date in {columns} reads both ways; YYYY-MM-DD dates need no order)",
    )


def _mixed(day_first: list, month_first: list) -> list[Problem]:
    """Every date that can only be read one way, against the first of the other way."""
    problems = []
    for mine, other, how, other_how in [
        (day_first, month_first, "day first", "month first"),
        (month_first, day_first, "month first", "day first"),
    ]:
        o_line, o_column, o_text = other[0]
        for line, column, text in mine:
            problems.append(
                Problem(
                    line,
                    column,
                    f"{text} can only be read {how}, but line {o_line} ({o_column}: "
                    f"{o_text}) can only be read {other_how}: the file mixes two date "
                    "orders; write every date the same way, or as YYYY-MM-DD",
                )
            )
    return problems
