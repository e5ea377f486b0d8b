"""Writing a checked inventory: each row through the pilot services, in one
transaction that a dry run (or a refusal by a service) rolls back."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from gates.services import readiness_refresh
from portfolio.importer.reading import EMAIL_COLUMNS, ImportReport, Problem, Row
from portfolio.models import BusinessUnit, Direction, Pilot, Role, Stage, SuccessMetric, User
from portfolio.selectors.charter import charter_missing_of, start_missing_of, with_charter
from portfolio.services.lifecycle import pilot_stage_record
from portfolio.services.parts import metric_set
from portfolio.services.people import business_unit_get_or_create, user_get_or_create_by_email
from portfolio.services.pilots import pilot_create, pilot_update

CHUNK = 500  # pilots read at once for the charter flags (within SQLite's variable limit)


class _People:
    """Units and users met in this file, each found or created once through the
    services, not once per row."""

    def __init__(self) -> None:
        self.units: dict[str, BusinessUnit] = {}
        self.users: dict[str, User] = {}

    def unit(self, name: str) -> BusinessUnit:
        key = " ".join(name.split()).lower()
        if key not in self.units:
            self.units[key] = business_unit_get_or_create(name=name)
        return self.units[key]

    def user(self, email: str) -> User:
        if email not in self.users:
            self.users[email] = user_get_or_create_by_email(email=email, role=Role.OWNER)
        return self.users[email]


def rows_write(
    rows: list[Row], *, references: list[str], by: User | None, today: date, report: ImportReport
) -> None:
    """Create or update each row's pilot; count the outcomes and flag the started
    pilots whose charter is incomplete. A dry run, or any refusal, writes nothing."""
    with transaction.atomic():
        by_reference = Pilot.objects.in_bulk(references, field_name="reference")
        people = _People()
        started: dict[int, int] = {}  # pilot id -> line, for the charter flags
        created: list[int] = []
        for row in rows:
            try:
                with transaction.atomic():
                    outcome, pilot = _write_row(row, by_reference, people, by, today)
            except ValidationError as exc:
                # A rule of the services (the separation of duties): the file is refused.
                report.problems.extend(_problems_of(row.line, exc))
                people = _People()  # what the refused row created is rolled back
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome == "created":
                created.append(pilot.id)
            if pilot.stage != Stage.PROPOSED:
                started[pilot.id] = row.line
        if created and not report.problems:
            readiness_refresh(pilot_ids=created)  # their gate statuses, chunk by chunk
        report.warnings.extend(_charter_flags(started))
        if report.dry_run or report.problems:
            transaction.set_rollback(True)


def _charter_flags(started: dict[int, int]) -> list[Problem]:
    """A warning for each started pilot whose charter does not answer its three
    questions, or, piloting, has no planned start or end (it could never be seen
    drifting), read a chunk of pilots at a time."""
    flags = []
    ids = list(started)
    for start in range(0, len(ids), CHUNK):
        pilots = with_charter(Pilot.objects.filter(pk__in=ids[start : start + CHUNK]))
        for pilot in pilots.only("id", "title", "stage", "pilot_start", "pilot_end_planned"):
            piloting = pilot.stage == Stage.PILOTING
            missing = start_missing_of(pilot) if piloting else charter_missing_of(pilot)
            if missing:
                flags.append(
                    Problem(
                        started[pilot.id],
                        "charter",
                        f"{pilot.title!r} is {pilot.get_stage_display().lower()} but its "
                        f"charter does not answer: {'; '.join(missing)}",
                    )
                )
    return sorted(flags, key=lambda flag: flag.line)


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
    row: Row, by_reference: dict[str, Pilot], people: _People, by: User | None, today: date
) -> tuple[str, Pilot]:
    """Create or update one pilot; says whether it was 'created', 'updated' or 'unchanged'."""
    v = row.values
    unit = people.unit(v["business_unit"])
    fields: dict = {"business_unit": unit, "title": v["title"]}
    for column, attribute in EMAIL_COLUMNS.items():
        if v.get(column):
            fields[attribute] = people.user(v[column])
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
            refresh=False,  # all new pilots at once, in `rows_write`
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
