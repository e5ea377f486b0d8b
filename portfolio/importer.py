"""Import an existing pilot inventory from CSV.

The whole file is checked before anything is written: one bad row refuses the file,
and every problem is reported as `line N: column: problem` (line 1 is the header).
Rows are written through the pilot services, like any other entry point.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from portfolio.models import Direction, Pilot, RiskTier, Role, Stage, SuccessMetric, User
from portfolio.selectors.charter import pilot_charter_missing
from portfolio.services.lifecycle import pilot_stage_record
from portfolio.services.parts import metric_set
from portfolio.services.people import business_unit_get_or_create, user_get_or_create_by_email
from portfolio.services.pilots import pilot_create, pilot_update

COLUMNS = [
    "reference",
    "title",
    "business_unit",
    "stage",
    "stage_entered_on",
    "deployment_owner_email",
    "sponsor_email",
    "delivery_owner_email",
    "decision_maker_email",
    "risk_owner_email",
    "risk_tier",
    "pilot_start",
    "pilot_end_planned",
    "success_metric",
    "metric_unit",
    "baseline",
    "target",
    "direction",
    "summary",
]
REQUIRED = ["title", "business_unit", "stage"]
EMAIL_COLUMNS = {
    "deployment_owner_email": "deployment_owner",
    "sponsor_email": "sponsor",
    "delivery_owner_email": "delivery_owner",
    "decision_maker_email": "decision_maker",
    "risk_owner_email": "risk_owner",
}
DATE_COLUMNS = ["stage_entered_on", "pilot_start", "pilot_end_planned"]
STAGE_ALIASES = {
    "almost_ready": Stage.AWAITING_DECISION,
    "awaiting": Stage.AWAITING_DECISION,
    "production": Stage.IN_PRODUCTION,
    "live": Stage.IN_PRODUCTION,
}
DIRECTION_ALIASES = {
    "increase": Direction.INCREASE,
    "up": Direction.INCREASE,
    "higher": Direction.INCREASE,
    "decrease": Direction.DECREASE,
    "down": Direction.DECREASE,
    "lower": Direction.DECREASE,
}
# Spreadsheet programs save dates in these forms (day first outside ISO).
DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.problem}"


@dataclass
class ImportReport:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Row:
    line: int
    values: dict = field(default_factory=dict)


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet programs on Windows save "CSV" in the ANSI code page.
        return data.decode("cp1252", errors="replace")


def _parse_date(text: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD")


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
    return value


def _read_rows(text: str, report: ImportReport) -> tuple[list[str], list[Row]]:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        report.problems.append(Problem(1, "header", "the file is empty or has no header row"))
        return [], []
    first = lines[0]
    delimiter = max([",", ";", "\t"], key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [_key(name) for name in next(reader)]
    for name in REQUIRED:
        if name not in header:
            report.problems.append(Problem(1, name, "required column is missing"))
    for name in sorted({h for h in header if header.count(h) > 1 and h}):
        report.problems.append(Problem(1, name, "column appears more than once"))
    for name in header:
        if name and name not in COLUMNS:
            report.warnings.append(Problem(1, name, "unknown column, ignored"))
    rows = []
    previous_end = reader.line_num
    for cells in reader:
        line, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            report.problems.append(
                Problem(line, "row", f"has {len(cells)} cells, the header has {len(header)}")
            )
            continue
        values = {
            name: cell.strip() for name, cell in zip(header, cells, strict=False) if name in COLUMNS
        }
        rows.append(Row(line=line, values=values))
    return header, rows


def _check_row(row: Row, today: date) -> list[Problem]:
    """Turn the row's text into typed values, in place; return its problems."""
    problems = []
    v = row.values

    def bad(column: str, problem: str) -> None:
        problems.append(Problem(row.line, column, problem))

    if not v.get("title"):
        bad("title", "is empty")
    elif len(v["title"]) > 200:
        bad("title", "is longer than 200 characters")
    if not v.get("business_unit"):
        bad("business_unit", "is empty")
    stage = _key(v.get("stage", ""))
    stage = STAGE_ALIASES.get(stage, stage)
    if not stage:
        bad("stage", "is empty")
    elif stage not in Stage.values:
        bad("stage", f"unknown stage {v['stage']!r}; expected one of {', '.join(Stage.values)}")
    v["stage"] = stage
    tier = v.get("risk_tier", "").lower()
    if tier and tier not in RiskTier.values:
        bad("risk_tier", f"unknown risk tier {v['risk_tier']!r}; expected low, medium or high")
    v["risk_tier"] = tier
    for column in DATE_COLUMNS:
        if v.get(column):
            try:
                v[column] = _parse_date(v[column])
            except ValueError as exc:
                bad(column, str(exc))
                v[column] = None
        else:
            v[column] = None
    if v["stage_entered_on"] and v["stage_entered_on"] > today:
        bad("stage_entered_on", f"{v['stage_entered_on']} is in the future")
    if v["pilot_start"] and v["pilot_end_planned"] and v["pilot_end_planned"] < v["pilot_start"]:
        bad("pilot_end_planned", "comes before pilot_start")
    problems += _check_people_and_metric(row)
    if len(v.get("reference", "")) > 60:
        bad("reference", "is longer than 60 characters")
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


def _find_pilot(row: Row, by_reference: dict[str, Pilot]) -> Pilot | None:
    v = row.values
    if v.get("reference"):
        return by_reference.get(v["reference"])
    # Without a reference, a row updates the one pilot of that title in that unit.
    matches = list(
        Pilot.objects.filter(
            title__iexact=v["title"], business_unit__name__iexact=v["business_unit"]
        )[:2]
    )
    return matches[0] if len(matches) == 1 else None


def _write_row(
    row: Row, by_reference: dict[str, Pilot], by: User | None, today: date
) -> tuple[str, Pilot]:
    """Create or update one pilot; says whether it was 'created', 'updated' or 'unchanged'."""
    v = row.values
    unit = business_unit_get_or_create(name=v["business_unit"])
    fields: dict = {"business_unit": unit, "title": v["title"]}
    for column, attribute in EMAIL_COLUMNS.items():
        if v.get(column):
            fields[attribute] = user_get_or_create_by_email(
                email=v[column], role=Role.OWNER
            )
    for column in ["summary", "risk_tier", "pilot_start", "pilot_end_planned"]:
        if v.get(column):
            fields[column] = v[column]

    pilot = _find_pilot(row, by_reference)
    if pilot is None:
        pilot = pilot_create(
            reference=v.get("reference") or None,
            stage=v["stage"],
            stage_entered_on=v["stage_entered_on"] or today,
            by=by,
            **fields,
        )
        outcome = "created"
    else:
        changed = {name: value for name, value in fields.items() if getattr(pilot, name) != value}
        if changed:
            pilot_update(pilot=pilot, **changed)
        if pilot.stage != v["stage"]:
            pilot_stage_record(
                pilot=pilot,
                to_stage=v["stage"],
                on=v["stage_entered_on"] or today,
                by=by,
                reason="Imported from the pilot inventory",
            )
            changed["stage"] = v["stage"]
        outcome = "updated" if changed else "unchanged"

    if v.get("success_metric") and _write_metric(pilot, v) and outcome == "unchanged":
        outcome = "updated"
    return outcome, pilot


def _write_metric(pilot: Pilot, v: dict) -> bool:
    """Set the success metric from the row, keeping what a blank cell leaves out."""
    current = SuccessMetric.objects.filter(pilot=pilot).first()
    wanted = {
        "name": v["success_metric"],
        "unit": v.get("metric_unit") or (current.unit if current else ""),
        "baseline": v["baseline"]
        if v["baseline"] is not None
        else getattr(current, "baseline", None),
        "target": v["target"] if v["target"] is not None else getattr(current, "target", None),
        "direction": v["direction"] or (current.direction if current else ""),
    }
    if not wanted["direction"]:
        baseline, target = wanted["baseline"], wanted["target"]
        lower_is_better = baseline is not None and target is not None and target < baseline
        wanted["direction"] = Direction.DECREASE if lower_is_better else Direction.INCREASE
    if current and all(getattr(current, name) == value for name, value in wanted.items()):
        return False
    metric_set(pilot=pilot, **wanted)
    return True


def pilots_import(
    *, data: bytes, dry_run: bool = False, by: User | None = None, today: date | None = None
) -> ImportReport:
    """Check a whole CSV file, then write it, or nothing at all.

    1. Read the header and every row; check each cell and that no reference appears
       twice. Any problem: return the report, nothing written.
    2. In one transaction, create or update each pilot (by reference; without one,
       by title within its business unit). Unknown emails become users who set
       their password through a password reset. A pilot past `proposed` whose
       charter is incomplete is imported and flagged in the warnings.
    3. A dry run rolls the transaction back: the report says what would happen.
    """
    today = today or timezone.localdate()
    report = ImportReport(dry_run=dry_run)
    _, rows = _read_rows(_decode(data), report)
    if report.problems and all(problem.line == 1 for problem in report.problems):
        return report  # a broken header: the rows cannot be read against it
    seen: dict[str, int] = {}
    for row in rows:
        report.problems.extend(_check_row(row, today))
        reference = row.values.get("reference")
        if reference:
            if reference in seen:
                report.problems.append(
                    Problem(
                        row.line, "reference", f"{reference!r} is already on line {seen[reference]}"
                    )
                )
            seen.setdefault(reference, row.line)
    if not rows and not report.problems:
        report.problems.append(Problem(2, "row", "the file has a header but no pilots"))
    if report.problems:
        report.problems.sort(key=lambda p: p.line)
        return report

    with transaction.atomic():
        by_reference = Pilot.objects.in_bulk(list(seen), field_name="reference")
        for row in rows:
            try:
                with transaction.atomic():
                    outcome, pilot = _write_row(row, by_reference, by, today)
            except ValidationError as exc:
                # A rule of the services (the separation of duties): the file is refused.
                report.problems.extend(_problems_of(row.line, exc))
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
            missing = pilot_charter_missing(pilot=pilot) if pilot.stage != Stage.PROPOSED else []
            if missing:
                report.warnings.append(
                    Problem(
                        row.line,
                        "charter",
                        f"{pilot.title!r} is {pilot.get_stage_display().lower()} but its "
                        f"charter does not answer: {'; '.join(missing)}",
                    )
                )
        if dry_run or report.problems:
            transaction.set_rollback(True)
    report.problems.sort(key=lambda p: p.line)
    return report


def _problems_of(line: int, exc: ValidationError) -> list[Problem]:
    """A service's refusal as the file's problems, each on what it is about (a person
    by their role: `risk_owner`, whichever column named them)."""
    columns = {"reason": "risk_tier"}  # a file cannot give the reason to lower a tier
    errors = exc.error_dict if hasattr(exc, "error_dict") else {"row": exc.error_list}
    return [
        Problem(line, columns.get(name, name), message)
        for name, field_errors in errors.items()
        for message in ValidationError(field_errors).messages
    ]
