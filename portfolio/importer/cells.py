"""Checking a row's cells and turning their text into typed values: text, stages, dates,
numbers, email addresses."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator, validate_email

from portfolio.importer.dates import OrderUndecided, parse_date
from portfolio.importer.reading import DATE_COLUMNS, EMAIL_COLUMNS, Problem, Row, column_key
from portfolio.lib.dates import check_in_range
from portfolio.models import (
    BusinessUnit,
    Direction,
    Pilot,
    RiskTier,
    Stage,
    SuccessMetric,
    User,
)

STAGE_ALIASES = {
    "almost_ready": Stage.AWAITING_DECISION,
    "awaiting": Stage.AWAITING_DECISION,
    "production": Stage.IN_PRODUCTION,
    "live": Stage.IN_PRODUCTION,
}


STAGES, TIERS = frozenset(Stage.values), frozenset(RiskTier.values)  # read once, not per row


DIRECTION_ALIASES = {
    "increase": Direction.INCREASE,
    "up": Direction.INCREASE,
    "higher": Direction.INCREASE,
    "decrease": Direction.DECREASE,
    "down": Direction.DECREASE,
    "lower": Direction.DECREASE,
}


# The longest text each column may hold: the length of the field it fills.
MAX_LENGTHS = {
    "reference": Pilot._meta.get_field("reference").max_length,
    "title": Pilot._meta.get_field("title").max_length,
    "business_unit": BusinessUnit._meta.get_field("name").max_length,
    "success_metric": SuccessMetric._meta.get_field("name").max_length,
    "metric_unit": SuccessMetric._meta.get_field("unit").max_length,
    **{column: User._meta.get_field("email").max_length for column in EMAIL_COLUMNS},
}


MAX_CELL = 10_000  # any other column, the summary included


# Tab, line feed and carriage return may stand in a cell; no other control character.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# A metric's baseline and target fit the metric's decimal field.
METRIC_NUMBER = DecimalValidator(
    SuccessMetric._meta.get_field("baseline").max_digits,
    SuccessMetric._meta.get_field("baseline").decimal_places,
)


def _parse_decimal(text: str) -> Decimal:
    cleaned = text.replace("\u00a0", "").replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # decimal comma
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a number")
    try:
        METRIC_NUMBER(value)
    except ValidationError:
        places = METRIC_NUMBER.decimal_places
        whole = METRIC_NUMBER.max_digits - places
        raise ValueError(
            f"{text!r} does not fit a metric: at most {whole} digits before the decimal "
            f"point and {places} after"
        ) from None
    return value


def check_row(row: Row, today: date, date_order: str | None = None) -> list[Problem]:
    """Turn the row's text into typed values, in place; return its problems. Slash and
    dot dates are read in `date_order` (`importer.dates`); a workbook's date cells
    come typed already."""
    problems = []
    v = row.values

    def bad(column: str, problem: str) -> None:
        problems.append(Problem(row.line, column, problem))

    problems += _check_text(row)
    if not v.get("title"):
        bad("title", "is empty")
    if not v.get("business_unit"):
        bad("business_unit", "is empty")
    stage = column_key(v.get("stage", ""))
    stage = STAGE_ALIASES.get(stage, stage)
    if not stage:
        bad("stage", "is empty")
    elif stage not in STAGES:
        bad("stage", f"unknown stage {v['stage']!r}; expected one of {', '.join(Stage.values)}")
    v["stage"] = stage
    tier = v.get("risk_tier", "").lower()
    if tier and tier not in TIERS:
        bad("risk_tier", f"unknown risk tier {v['risk_tier']!r}; expected low, medium or high")
    v["risk_tier"] = tier
    for column in DATE_COLUMNS:
        if isinstance(v.get(column), date):
            continue
        if v.get(column):
            try:
                v[column] = parse_date(v[column], date_order)
            except OrderUndecided:
                v[column] = None  # the file is refused as a whole (`importer.dates`)
            except ValueError as exc:
                bad(column, str(exc))
                v[column] = None
        else:
            v[column] = None
    if v["stage_entered_on"] and v["stage_entered_on"] > today:
        bad("stage_entered_on", f"{v['stage_entered_on']} is in the future")
        v["stage_entered_on"] = None
    for column in DATE_COLUMNS:
        if v[column] is None:
            continue
        try:
            check_in_range(v[column])
        except ValidationError as exc:
            bad(column, exc.messages[0])
            v[column] = None
    if v["pilot_start"] and v["pilot_end_planned"] and v["pilot_end_planned"] < v["pilot_start"]:
        bad("pilot_end_planned", "comes before pilot_start")
    problems += _check_people_and_metric(row)
    return problems


def _check_text(row: Row) -> list[Problem]:
    """Every cell plain text (no NUL or other control character) and no longer than
    the field it fills. The column keeps its text when refused, the row is refused."""
    problems = []
    for column, text in row.values.items():
        if not isinstance(text, str):
            continue  # a workbook's typed date
        if CONTROL_CHARACTER.search(text):
            problems.append(Problem(row.line, column, "contains a control character (such as NUL)"))
        elif len(text) > MAX_LENGTHS.get(column, MAX_CELL):
            limit = MAX_LENGTHS.get(column, MAX_CELL)
            problems.append(Problem(row.line, column, f"is longer than {limit} characters"))
    return problems


def _check_people_and_metric(row: Row) -> list[Problem]:
    """The row's email addresses and success metric, typed in place; their problems."""
    problems = []
    v = row.values

    def bad(column: str, problem: str) -> None:
        problems.append(Problem(row.line, column, problem))

    for column in EMAIL_COLUMNS:
        if v.get(column):
            v[column] = v[column].lower()
            try:
                validate_email(v[column])
            except ValidationError:
                bad(column, f"{v[column]!r} is not an email address")
    for column in ["baseline", "target"]:
        if v.get(column):
            try:
                v[column] = _parse_decimal(v[column])
            except ValueError as exc:
                bad(column, str(exc))
        else:
            v[column] = None
    direction = v.get("direction", "").lower()
    if direction and direction not in DIRECTION_ALIASES:
        bad("direction", f"unknown direction {v['direction']!r}; expected increase or decrease")
    v["direction"] = DIRECTION_ALIASES.get(direction, "")
    if not v.get("success_metric"):
        for column in ["metric_unit", "baseline", "target", "direction"]:
            if v.get(column):
                bad(column, "is given without a success_metric")
    return problems
