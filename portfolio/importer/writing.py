"""Writing a checked inventory through the pilot services, in one transaction that a
dry run (or a refusal by a service) rolls back.

What the rows are written against is read once (`importer.known`). New pilots are
checked row by row (`pilot_new`) and created together (`pilots_create_many`); a pilot
already there is updated row by row, as on its page. The outcome is the same as if
every row were written one after the other: a row without a reference that names a
pilot created by an earlier row updates it (those waiting are created first)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model

from gates.services import readiness_refresh
from portfolio.importer.known import Known
from portfolio.importer.reading import EMAIL_COLUMNS, ImportReport, Problem, Row
from portfolio.models import Direction, Pilot, Stage, SuccessMetric, User
from portfolio.selectors.charter import charter_missing_of, start_missing_of, with_charter
from portfolio.services.decisions_due import decision_due_checks_deferred
from portfolio.services.lifecycle import pilot_stage_record
from portfolio.services.parts import metric_set
from portfolio.services.pilots import (
    NewPilot,
    NewPilotRefused,
    pilot_new,
    pilot_update,
    pilots_create_many,
)

CHUNK = 500  # pilots read at once for the charter flags (within SQLite's variable limit)


def rows_write(
    rows: list[Row], *, references: list[str], by: User | None, today: date, report: ImportReport
) -> None:
    """Create or update each row's pilot; count the outcomes and flag the started
    pilots whose charter is incomplete. A dry run, or any refusal, writes nothing."""
    with transaction.atomic():
        writer = _Writer(Known(rows, references), by=by, today=today, report=report)
        # A pilot's decision falling due is checked once, in the file's final state.
        with decision_due_checks_deferred(as_of=today):
            for row in rows:
                writer.write(row)
            writer.flush()
        if writer.created and not report.problems and not report.dry_run:
            # Their gate statuses, chunk by chunk: derived, they refuse nothing, so a dry
            # run, which would roll them back, leaves them out.
            readiness_refresh(pilot_ids=writer.created)
        started = {pilot.id: line for pilot, line in writer.started if pilot.id is not None}
        report.warnings.extend(_charter_flags(started))
        if report.dry_run or report.problems:
            transaction.set_rollback(True)


class _Writer:
    """The rows written in the file's order; new pilots wait in `waiting` until
    `flush` creates them together."""

    def __init__(self, known: Known, *, by: User | None, today: date, report: ImportReport):
        self.known, self.by, self.today, self.report = known, by, today, report
        self.waiting: list[tuple[NewPilot, int]] = []  # with each one's line
        self.created: list[int] = []
        self.started: list[tuple[Pilot, int]] = []  # for the charter flags
        self.refused = False  # the pilots waiting could not be created

    def write(self, row: Row) -> None:
        fields = self._fields(row)
        pilot = self.known.find(row)
        if pilot is None:
            self._new(row, fields)
            return
        if pilot.pk is None:  # created by an earlier row of the file
            self.flush()
        if self.refused:
            return
        self._update(row, pilot, fields)

    def _fields(self, row: Row) -> dict:
        v = row.values
        fields: dict = {"business_unit": self.known.unit(v["business_unit"]), "title": v["title"]}
        for column, attribute in EMAIL_COLUMNS.items():
            if v.get(column):
                fields[attribute] = self.known.user(v[column])
        for column in ["summary", "risk_tier", "pilot_start", "pilot_end_planned"]:
            if v.get(column):
                fields[column] = v[column]
        return fields

    def _new(self, row: Row, fields: dict) -> None:
        v = row.values
        try:
            new = pilot_new(
                reference=v.get("reference") or None,
                stage=v["stage"],
                stage_entered_on=v["stage_entered_on"] or self.today,
                by=self.by,
                metric=_metric_wanted(v, None) if v.get("success_metric") else None,
                **fields,
            )
        except ValidationError as exc:
            # A rule of the services (the separation of duties): the file is refused.
            self.report.problems.extend(_problems_of(row.line, exc))
            return
        self.waiting.append((new, row.line))
        self.known.add(new.pilot)
        self._count("created", new.pilot, row.line)

    def _update(self, row: Row, pilot: Pilot, fields: dict) -> None:
        if not self._changes(row, pilot, fields):  # a file imported again: no write at all
            self._count("unchanged", pilot, row.line)
            return
        before = self.known.key_of(pilot)
        try:
            with transaction.atomic():
                outcome = self._apply(row, pilot, fields)
        except ValidationError as exc:
            self.report.problems.extend(_problems_of(row.line, exc))
            return
        self.known.moved(pilot, before)
        self._count(outcome, pilot, row.line)

    def _apply(self, row: Row, pilot: Pilot, fields: dict) -> str:
        """Update one pilot; says whether it was 'updated' or 'unchanged'."""
        v = row.values
        changed = {name: value for name, value in fields.items() if _differs(pilot, name, value)}
        if changed:
            pilot_update(pilot=pilot, **changed)
        if pilot.stage != v["stage"]:
            pilot_stage_record(
                pilot=pilot,
                to_stage=v["stage"],
                on=v["stage_entered_on"] or self.today,
                by=self.by,
                reason="Imported from the pilot inventory",
            )
            changed["stage"] = v["stage"]
        if v.get("success_metric") and self._write_metric(pilot, v):
            return "updated"
        return "updated" if changed else "unchanged"

    def _changes(self, row: Row, pilot: Pilot, fields: dict) -> bool:
        """Whether the row changes anything of the pilot: its fields, stage or metric."""
        v = row.values
        if pilot.stage != v["stage"] or any(_differs(pilot, n, x) for n, x in fields.items()):
            return True
        current = self.known.metrics.get(pilot.id)
        return bool(v.get("success_metric")) and not _metric_kept(current, v)

    def _write_metric(self, pilot: Pilot, v: dict) -> bool:
        """Set the success metric from the row, keeping what a blank cell leaves out."""
        current = self.known.metrics.get(pilot.id)
        if _metric_kept(current, v):
            return False
        self.known.metrics[pilot.id] = metric_set(pilot=pilot, **_metric_wanted(v, current))
        return True

    def _count(self, outcome: str, pilot: Pilot, line: int) -> None:
        setattr(self.report, outcome, getattr(self.report, outcome) + 1)
        if pilot.stage != Stage.PROPOSED:
            self.started.append((pilot, line))

    def flush(self) -> None:
        """Create the new pilots waiting, together (their gate statuses: `rows_write`)."""
        if not self.waiting or self.refused:
            return
        waiting, self.waiting = self.waiting, []
        try:
            pilots_create_many(new=[new for new, _ in waiting], by=self.by, refresh=False)
        except NewPilotRefused as exc:  # a reference taken meanwhile by another import
            self.report.problems.extend(_problems_of(waiting[exc.index][1], exc))
            self.refused = True
            return
        for new, _ in waiting:
            self.created.append(new.pilot.id)
            if new.metric is not None:
                self.known.metrics[new.pilot.id] = new.metric


def _differs(pilot: Pilot, name: str, value) -> bool:
    """Whether the row changes a field of the pilot (a person or unit by id: not read)."""
    if isinstance(value, Model):
        return getattr(pilot, Pilot._meta.get_field(name).attname) != value.pk
    return getattr(pilot, name) != value


def _metric_kept(current: SuccessMetric | None, v: dict) -> bool:
    """Whether the pilot's metric is already what the row asks for."""
    wanted = _metric_wanted(v, current)
    return current is not None and all(
        getattr(current, name) == value for name, value in wanted.items()
    )


def _metric_wanted(v: dict, current: SuccessMetric | None) -> dict:
    """The success metric a row asks for, what a blank cell leaves out kept from
    `current`; without a direction, the one from the baseline to the target."""
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
    return wanted


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
