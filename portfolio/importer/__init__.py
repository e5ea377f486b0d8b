"""Import an existing pilot inventory from CSV.

The whole file is checked before anything is written: one bad row refuses the file,
and every problem is reported as `line N: column: problem` (line 1 is the header).
Rows are written through the pilot services, like any other entry point.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portfolio.importer.cells import check_row
from portfolio.importer.reading import EMAIL_COLUMNS, ImportReport, Problem, Row, decode, read_rows
from portfolio.models import (
    Direction,
    Pilot,
    Role,
    Stage,
    SuccessMetric,
    User,
)
from portfolio.selectors.charter import pilot_charter_missing, pilot_start_missing
from portfolio.services.lifecycle import pilot_stage_record
from portfolio.services.parts import metric_set
from portfolio.services.people import business_unit_get_or_create, user_get_or_create_by_email
from portfolio.services.pilots import pilot_create, pilot_update


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
            fields[attribute] = user_get_or_create_by_email(email=v[column], role=Role.OWNER)
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
    text = decode(data, report)
    if report.problems:
        return report
    _, rows = read_rows(text, report)
    if report.problems and all(problem.line == 1 for problem in report.problems):
        return report  # a broken header: the rows cannot be read against it
    seen = _check_rows(rows, today, report)
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
            missing = _missing_for(pilot)
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


def _missing_for(pilot: Pilot) -> list[str]:
    """What an imported pilot past its proposal lacks: the charter's answers, and for
    a piloting one its dates (without a planned end it could never be seen drifting)."""
    if pilot.stage == Stage.PROPOSED:
        return []
    if pilot.stage == Stage.PILOTING:
        return pilot_start_missing(pilot=pilot)
    return pilot_charter_missing(pilot=pilot)


def _check_rows(rows: list[Row], today: date, report: ImportReport) -> dict[str, int]:
    """Check every row (each problem onto the report) and that no reference appears
    twice; return each reference with its first line."""
    seen: dict[str, int] = {}
    for row in rows:
        report.problems.extend(check_row(row, today))
        reference = row.values.get("reference")
        if reference:
            if reference in seen:
                report.problems.append(
                    Problem(
                        row.line, "reference", f"{reference!r} is already on line {seen[reference]}"
                    )
                )
            seen.setdefault(reference, row.line)
    return seen


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
