"""The import writes its new pilots together: the same report and rows as writing them
one after the other, in a number of queries that does not grow with the file."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gates.models import GateStatus
from portfolio.importer import pilots_import
from portfolio.models import (
    BusinessUnit,
    DecisionDue,
    DueCause,
    Pilot,
    StageChange,
    SuccessMetric,
    User,
)
from portfolio.services.parts import reading_add

TODAY = date(2026, 11, 28)
HEADER = (
    "reference,title,business_unit,stage,stage_entered_on,deployment_owner_email,"
    "risk_owner_email,risk_tier,pilot_start,pilot_end_planned,success_metric,baseline,target"
)


def inventory(size: int, *, first: int = 0) -> bytes:
    """`size` piloting pilots, each with its metric, in three units, with nine owners."""
    rows = [
        f"R-{n},Pilot {n},Unit {n % 3},piloting,2026-03-01,owner{n % 9}@example.com,,"
        f"medium,2026-01-05,2026-09-30,Hours saved,{n % 100 + 60},{n % 100}"
        for n in range(first, first + size)
    ]
    return "\n".join([HEADER, *rows]).encode()


def queries_of(data: bytes, **options) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        report = pilots_import(data=data, today=TODAY, **options)
    assert report.ok, [str(problem) for problem in report.problems]
    return [query["sql"] for query in queries.captured_queries]


def inserts(queries: list[str]) -> int:
    return sum(query.startswith("INSERT") for query in queries)


# Statements an insert of a hundred pilots takes beyond one of ten: the gate statuses go
# 500 to a statement (`readiness_refresh`); SQLite takes at most 999 values a statement,
# so an insert of many columns takes one per few dozen rows.
EXTRA_INSERTS = {"postgresql": 1, "sqlite": 12}


@pytest.mark.parametrize("dry_run", [True, False])
def test_it_creates_ten_or_a_hundred_pilots_in_the_same_number_of_queries(db, dry_run):
    ten = queries_of(inventory(10), dry_run=dry_run)
    Pilot.objects.all().delete()
    User.objects.all().delete()
    BusinessUnit.objects.all().delete()

    hundred = queries_of(inventory(100), dry_run=dry_run)

    assert len(hundred) - inserts(hundred) == len(ten) - inserts(ten)
    assert inserts(ten) <= inserts(hundred) <= inserts(ten) + EXTRA_INSERTS[connection.vendor]
    assert Pilot.objects.count() == (0 if dry_run else 100)


def test_it_imports_an_unchanged_file_again_in_the_same_number_of_queries(db):
    # given
    pilots_import(data=inventory(100), today=TODAY)

    # when
    ten, hundred = queries_of(inventory(10)), queries_of(inventory(100))

    # then: nothing to write, nothing read per row
    assert len(hundred) == len(ten)
    assert inserts(hundred) == 0
    report = pilots_import(data=inventory(100), today=TODAY)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 100)


def test_it_reads_the_people_units_and_pilots_it_updates_once_not_per_row(db):
    # given: the pilots there, then a file changing their metric's name
    pilots_import(data=inventory(100), today=TODAY)
    changed = inventory(100).replace(b",Hours saved,", b",Hours saved per week,")

    # when
    queries = [q for q in queries_of(changed) if q.startswith("SELECT")]

    # then: each row's update goes through `metric_set`, which reads the metric, locks
    # it and checks it is the pilot's only one (three reads); nothing else is read per row
    def reads(table: str) -> int:
        return sum(f'FROM "{table}"' in query for query in queries)

    assert reads("portfolio_user") == 1
    assert reads("portfolio_businessunit") == 1
    pilot_rows = 'SELECT "portfolio_pilot"."id", "portfolio_pilot"."reference"'
    assert sum(query.startswith(pilot_rows) for query in queries) == 1
    assert reads("portfolio_successmetric") == 1 + 1 + 3 * 100  # the file's, the flags'
    assert SuccessMetric.objects.filter(name="Hours saved per week").count() == 100


def test_it_gives_the_new_pilots_all_that_one_proposed_alone_has(db, executive):
    # when
    report = pilots_import(data=inventory(3), today=TODAY, by=executive)

    # then
    assert report.created == 3
    pilot = Pilot.objects.get(reference="R-1")
    assert pilot.checklist_version is not None
    assert pilot.gate_statuses.count() == 6
    assert GateStatus.objects.count() == 18
    change = StageChange.objects.get(pilot=pilot)
    assert (change.from_stage, change.to_stage, change.changed_on) == (
        "",
        "piloting",
        date(2026, 3, 1),
    )
    assert (change.changed_by, change.reason) == (executive, "Recorded")
    metric = pilot.success_metric
    assert (metric.baseline, metric.target, metric.direction) == (
        Decimal("61"),
        Decimal("1"),
        "decrease",
    )


def test_it_records_the_history_of_the_new_pilots_with_their_author(db, executive):
    pilots_import(data=inventory(3), today=TODAY, by=executive)

    pilot = Pilot.objects.get(reference="R-2")
    (created,) = pilot.history.all()
    assert (created.history_type, created.history_user) == ("+", executive)
    assert created.title == "Pilot 2" and created.stage == "piloting"
    (metric,) = pilot.success_metric.history.all()
    assert (metric.history_type, metric.history_user) == ("+", executive)
    assert Pilot.history.filter(history_user=executive).count() == 3


def test_it_records_the_history_without_an_author_from_the_command(db):
    pilots_import(data=inventory(2), today=TODAY)

    assert Pilot.history.count() == 2
    assert not Pilot.history.filter(history_user__isnull=False).exists()


def test_it_reports_a_refusal_of_the_duties_on_its_line_and_writes_nothing(db):
    # given: line 4 names its owner risk owner; line 5 its decision maker on a high tier
    data = inventory(2) + (
        b"\nR-8,Claims triage,Claims,piloting,2026-03-01,dana@example.com,dana@example.com,"
        b"low,,,,,"
        b"\nR-9,Fraud triage,Claims,piloting,2026-03-01,dana@example.com,rita@example.com,"
        b"medium,,,,,"
    )

    # when
    report = pilots_import(data=data, today=TODAY)

    # then: that line refused, the others still read, nothing written
    assert [str(problem) for problem in report.problems] == [
        "line 4: risk_owner: Nobody is risk owner of a pilot they own or deliver: name "
        "someone other than its deployment and delivery owners."
    ]
    # the rows not refused are flagged as they would have been written
    assert [(warning.line, warning.column) for warning in report.warnings] == [
        (2, "charter"),
        (3, "charter"),
        (5, "charter"),
    ]
    assert not Pilot.objects.exists()
    assert not User.objects.exists()
    assert not BusinessUnit.objects.exists()
    assert not StageChange.objects.exists()
    assert not SuccessMetric.objects.exists()
    assert not Pilot.history.exists()


def test_it_updates_a_pilot_an_earlier_row_of_the_file_created(db):
    # given: a row without reference naming the pilot of an earlier row, then a new one
    data = (
        b"reference,title,business_unit,stage,stage_entered_on\n"
        b"A-1,Claims triage,Claims,proposed,2026-03-01\n"
        b",CLAIMS TRIAGE,claims,piloting,2026-04-01\n"
        b",Fraud triage,Claims,proposed,2026-03-01\n"
        b",Fraud triage,Claims,piloting,2026-05-01\n"
    )

    # when
    report = pilots_import(data=data, today=TODAY)

    # then: as if each row were written after the one before
    assert (report.created, report.updated, report.unchanged) == (2, 2, 0)
    claims = Pilot.objects.get(reference="A-1")
    assert (claims.title, claims.stage) == ("CLAIMS TRIAGE", "piloting")
    assert list(claims.stage_changes.values_list("from_stage", "to_stage")) == [
        ("", "proposed"),
        ("proposed", "piloting"),
    ]
    fraud = Pilot.objects.get(title="Fraud triage")
    assert fraud.stage_entered_on == date(2026, 5, 1)
    assert Pilot.objects.count() == 2
    assert [(w.line, w.column) for w in report.warnings] == [(3, "charter"), (5, "charter")]


def test_it_creates_a_new_pilot_when_a_title_names_two_in_the_unit(db):
    # given: two pilots of that title in that unit already
    pilots_import(
        data=b"reference,title,business_unit,stage\nA-1,Triage,Claims,proposed\n"
        b"A-2,Triage,Claims,proposed\n",
        today=TODAY,
    )

    # when
    report = pilots_import(data=b"title,business_unit,stage\nTriage,Claims,proposed\n", today=TODAY)

    # then
    assert report.created == 1
    assert Pilot.objects.filter(title="Triage").count() == 3


def test_a_target_changed_by_the_file_makes_the_decision_due_once_the_file_is_written(db):
    # given: R-0 piloting, 60 -> 0 hours, with a reading of 5 (short of the target)
    assert pilots_import(data=inventory(1), today=TODAY).ok
    pilot = Pilot.objects.get(reference="R-0")
    reading_add(pilot=pilot, measured_on=date(2026, 11, 2), value=5)
    assert not DecisionDue.objects.filter(pilot=pilot).exists()
    # when: the file now sets the target at 10 hours, which the reading meets
    again = inventory(1).replace(b",Hours saved,60,0", b",Hours saved,60,10")
    report = pilots_import(data=again, today=TODAY)
    # then
    assert report.ok and report.updated == 1
    due = DecisionDue.objects.filter(pilot=pilot).values_list("cause", "due_on")
    assert list(due) == [(DueCause.TARGET_REACHED, date(2026, 11, 2))]
