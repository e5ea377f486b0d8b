import subprocess
import sys
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from portfolio.models import BusinessUnit, Pilot, StageChange, SuccessMetric, User

PROJECT_ROOT = Path(__file__).resolve().parents[3]

HEADER = (
    "reference,title,business_unit,stage,stage_entered_on,deployment_owner_email,"
    "sponsor_email,delivery_owner_email,risk_tier,pilot_start,pilot_end_planned,"
    "success_metric,metric_unit,baseline,target,direction,summary"
)
GOOD_ROWS = [
    "CC-1,Contact-centre assistant,Customer service,awaiting_decision,2026-03-01,"
    "dana@example.com,sam@example.com,,medium,2026-01-05,2026-02-28,"
    "Hours of manual review per week,hours,120,60,decrease,Drafts replies",
    "FIN-7,Finance cost-anomaly model,Finance,piloting,2026-05-01,"
    "frank@example.com,,,high,2026-05-01,2026-09-30,Anomalies found per month,,4,12,,",
]


def write(tmp_path: Path, text: str, *, encoding: str = "utf-8", name: str = "pilots.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run_import(path: Path, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_pilots", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path: Path) -> list[str]:
    """Import a file expected to be refused; return the problem lines printed."""
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_pilots", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


def test_it_imports_pilots_with_their_people_units_and_metric(db, tmp_path):
    # given
    path = write(tmp_path, "\n".join([HEADER, *GOOD_ROWS]) + "\n")

    # when
    out, _ = run_import(path)

    # then
    assert "2 new, 0 updated, 0 unchanged" in out
    contact = Pilot.objects.get(reference="CC-1")
    assert contact.title == "Contact-centre assistant"
    assert contact.business_unit.name == "Customer service"
    assert contact.stage == "awaiting_decision"
    assert contact.stage_entered_on == date(2026, 3, 1)
    assert contact.deployment_owner.email == "dana@example.com"
    assert contact.sponsor.email == "sam@example.com"
    assert contact.delivery_owner is None
    assert contact.pilot_end_planned == date(2026, 2, 28)
    metric = contact.success_metric
    assert (metric.baseline, metric.target, metric.direction) == (
        Decimal("120"),
        Decimal("60"),
        "decrease",
    )
    finance = Pilot.objects.get(reference="FIN-7")
    assert finance.risk_tier == "high"
    assert finance.success_metric.direction == "increase"  # target above baseline
    assert not User.objects.get(email="dana@example.com").has_usable_password()
    assert StageChange.objects.filter(pilot=contact, to_stage="awaiting_decision").count() == 1
    # each new pilot's gate statuses are derived, as for a pilot proposed on the page
    assert contact.gate_statuses.count() == finance.gate_statuses.count() == 6


def test_it_duplicates_nothing_when_the_same_file_is_imported_again(db, tmp_path):
    # given
    path = write(tmp_path, "\n".join([HEADER, *GOOD_ROWS]))
    run_import(path)

    # when
    out, _ = run_import(path)

    # then
    assert "0 new, 0 updated, 2 unchanged" in out
    assert Pilot.objects.count() == 2
    assert User.objects.count() == 3
    assert SuccessMetric.objects.count() == 2
    assert StageChange.objects.count() == 2


def test_it_updates_a_pilot_by_reference_and_records_the_stage_change(db, tmp_path):
    # given
    run_import(write(tmp_path, "\n".join([HEADER, *GOOD_ROWS])))
    changed = GOOD_ROWS[1].replace("piloting,2026-05-01", "awaiting_decision,2026-10-01")

    # when
    out, _ = run_import(write(tmp_path, "\n".join([HEADER, changed]), name="again.csv"))

    # then
    assert "0 new, 1 updated" in out
    finance = Pilot.objects.get(reference="FIN-7")
    assert finance.stage == "awaiting_decision"
    assert finance.stage_entered_on == date(2026, 10, 1)
    change = finance.stage_changes.last()
    assert (change.from_stage, change.to_stage) == ("piloting", "awaiting_decision")
    assert Pilot.objects.count() == 2


def test_it_accepts_a_file_as_a_spreadsheet_program_saves_it(db, tmp_path):
    # given: BOM-less Windows code page, semicolons, CRLF, columns in another order and
    # case, day-first dates, a decimal comma, a quoted cell with the separator in it
    text = (
        "Title;BUSINESS UNIT;Stage;Reference;Pilot Start;Pilot End Planned;"
        "Success Metric;Baseline;Target\r\n"
        '"Café; claims triage";Opérations;Piloting;OPS-3;15/01/2026;31.03.2026;'
        "Minutes per claim;12,5;8\r\n"
        ";;;;;;;;\r\n"
    )
    path = write(tmp_path, text, encoding="cp1252")

    # when
    out, _ = run_import(path)

    # then
    pilot = Pilot.objects.get(reference="OPS-3")
    assert pilot.title == "Café; claims triage"
    assert pilot.business_unit.name == "Opérations"
    assert (pilot.pilot_start, pilot.pilot_end_planned) == (date(2026, 1, 15), date(2026, 3, 31))
    assert pilot.success_metric.baseline == Decimal("12.5")
    assert "1 new" in out


def test_it_reads_a_utf8_file_with_a_byte_order_mark(db, tmp_path):
    path = write(tmp_path, "\ufeff" + "\n".join([HEADER, GOOD_ROWS[0]]), encoding="utf-8")

    run_import(path)

    assert Pilot.objects.filter(reference="CC-1").exists()


def test_it_flags_pilots_past_proposed_whose_charter_is_incomplete(db, tmp_path):
    # given: piloting with no owner, no metric, no path
    path = write(tmp_path, "title,business_unit,stage\nLoose pilot,Sales,piloting\n")

    # when
    out, _ = run_import(path)

    # then: imported, and flagged
    assert Pilot.objects.get(title="Loose pilot").stage == "piloting"
    assert "line 2: charter: 'Loose pilot' is piloting but its charter does not answer" in out
    assert "deployment owner" in out and "success metric" in out and "path" in out
    assert "when it runs (a planned start and a planned end)" in out


def test_it_flags_a_piloting_pilot_without_its_dates_but_not_a_live_one(db, tmp_path):
    # given: a piloting pilot with a start and no planned end, a live one with no dates
    path = write(
        tmp_path,
        "title,business_unit,stage,pilot_start\n"
        "Open-ended,Sales,piloting,2026-01-05\n"
        "Old system,Sales,in_production,\n",
    )

    # when
    out, _ = run_import(path)

    # then: the piloting one could never drift: flagged; the live one needs no dates
    assert "line 2: charter: 'Open-ended' is piloting" in out
    assert out.count("when it runs (a planned start and a planned end)") == 1


def test_it_does_not_flag_a_proposed_pilot(db, tmp_path):
    out, _ = run_import(write(tmp_path, "title,business_unit,stage\nIdea,Sales,proposed\n"))

    assert "charter" not in out


def test_it_writes_nothing_on_a_dry_run(db, tmp_path):
    out, _ = run_import(write(tmp_path, "\n".join([HEADER, *GOOD_ROWS])), "--dry-run")

    assert "would import 2 new" in out
    assert "Dry run: nothing was written." in out
    assert Pilot.objects.count() == 0
    assert User.objects.count() == 0
    assert BusinessUnit.objects.count() == 0


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "X-1,A pilot,Sales,almost-there,,,,,,,,,,,,,",
            "line 3: stage: unknown stage 'almost-there'",
        ),
        ("X-1,A pilot,Sales,piloting,,,,,extreme,,,,,,,,", "line 3: risk_tier: unknown risk tier"),
        (
            "X-1,A pilot,Sales,piloting,,,,,,2026-02-30,,,,,,,",
            "line 3: pilot_start: '2026-02-30' is not a date",
        ),
        (
            "X-1,A pilot,Sales,piloting,,dana-at-example,,,,,,,,,,,",
            "line 3: deployment_owner_email: 'dana-at-example' is not an email address",
        ),
        ("X-1,,Sales,piloting,,,,,,,,,,,,,", "line 3: title: is empty"),
        ("X-1,A pilot,,piloting,,,,,,,,,,,,,", "line 3: business_unit: is empty"),
        ("X-1,A pilot,Sales,,,,,,,,,,,,,,", "line 3: stage: is empty"),
        (
            "X-1,A pilot,Sales,piloting,,,,,,2026-05-01,2026-04-01,,,,,,",
            "line 3: pilot_end_planned: comes before pilot_start",
        ),
        (
            "X-1,A pilot,Sales,piloting,,,,,,,,Hours,h,lots,60,,",
            "line 3: baseline: 'lots' is not a number",
        ),
        (
            "X-1,A pilot,Sales,piloting,,,,,,,,Hours,h,1,2,sideways,",
            "line 3: direction: unknown direction 'sideways'",
        ),
        (
            "X-1,A pilot,Sales,piloting,,,,,,,,,h,1,2,,",
            "line 3: metric_unit: is given without a success_metric",
        ),
        (
            "X-1,A pilot,Sales,piloting,2999-01-01,,,,,,,,,,,,",
            "line 3: stage_entered_on: 2999-01-01 is in the future",
        ),
        ("X-1,A pilot,Sales,piloting,,,,,,,,,,,,,,extra", "line 3: row: has 18 cells"),
    ],
)
def test_it_refuses_the_whole_file_for_a_malformed_row(db, tmp_path, row, expected):
    # given: a good row before the bad one
    path = write(tmp_path, "\n".join([HEADER, GOOD_ROWS[0], row]))

    # when
    problems = refused(path)

    # then
    assert any(line.startswith(expected) for line in problems), problems
    assert Pilot.objects.count() == 0
    assert User.objects.count() == 0


def test_it_refuses_a_reference_twice_in_the_file(db, tmp_path):
    path = write(tmp_path, "\n".join([HEADER, GOOD_ROWS[0], GOOD_ROWS[0]]))

    problems = refused(path)

    assert problems == ["line 3: reference: 'CC-1' is already on line 2"]
    assert Pilot.objects.count() == 0


def test_it_reports_every_problem_of_the_file_at_once(db, tmp_path):
    path = write(
        tmp_path,
        "title,business_unit,stage,risk_tier\n,Sales,piloting,low\nOk,Sales,nowhere,huge\n",
    )

    problems = refused(path)

    assert problems == [
        "line 2: title: is empty",
        "line 3: stage: unknown stage 'nowhere'; expected one of proposed, piloting, "
        "awaiting_decision, scaling, in_production, stopped, research",
        "line 3: risk_tier: unknown risk tier 'huge'; expected low, medium or high",
    ]


def test_it_counts_lines_of_the_file_across_quoted_line_breaks(db, tmp_path):
    text = 'title,business_unit,stage,summary\nA,Sales,piloting,"two\nlines"\nB,Sales,bad,\n'

    problems = refused(write(tmp_path, text))

    assert problems[0].startswith("line 4: stage: unknown stage 'bad'")


def test_it_refuses_a_file_without_a_required_column(db, tmp_path):
    problems = refused(write(tmp_path, "title,stage\nA,piloting\n"))

    assert problems == ["line 1: business_unit: required column is missing"]


def test_it_refuses_an_empty_file(db, tmp_path):
    problems = refused(write(tmp_path, ""))

    assert problems == ["line 1: header: the file is empty or has no header row"]


def test_it_refuses_a_header_without_rows(db, tmp_path):
    problems = refused(write(tmp_path, "title,business_unit,stage\n"))

    assert problems == ["line 2: row: the file has a header but no pilots"]


def test_it_warns_about_unknown_columns_and_imports_the_rest(db, tmp_path):
    out, _ = run_import(write(tmp_path, "title,business_unit,stage,colour\nA,Sales,proposed,red\n"))

    assert "line 1: colour: unknown column, ignored" in out
    assert Pilot.objects.filter(title="A").exists()


def test_it_says_when_the_file_cannot_be_read(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*missing.csv"):
        call_command("import_pilots", str(tmp_path / "missing.csv"))


def test_it_exits_non_zero_without_a_traceback(tmp_path):
    # given: a file refused before any database access
    path = write(tmp_path, "title,stage\nA,piloting\n")

    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "import_pilots", str(path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then
    assert result.returncode == 1
    assert "line 1: business_unit: required column is missing" in result.stderr
    assert "Traceback" not in result.stderr


# --- Bad input that must never reach the database ---------------------------------

OUT_OF_RANGE = "is out of range: give a date between 2000-01-01 and 2100-12-31."
NOT_A_METRIC = "does not fit a metric: at most 12 digits before the decimal point and 4 after"


@pytest.mark.security
@pytest.mark.parametrize(
    "row, problem",
    [
        (
            "X-1,A pi\x00lot,Sales,piloting,2026-01-05,,,,,,,,,,,,",
            "line 2: title: contains a control character (such as NUL)",
        ),
        (
            "X-1,A pilot,Sa\x07les,piloting,2026-01-05,,,,,,,,,,,,",
            "line 2: business_unit: contains a control character (such as NUL)",
        ),
        (
            "X-1,A pilot,Sales,piloting,2026-01-05,,,,,,,Cases,,-1e308,20,,",
            f"line 2: baseline: '-1e308' {NOT_A_METRIC}",
        ),
        (
            "X-1,A pilot,Sales,piloting,2026-01-05,,,,,,,Cases,,10,1.23456,,",
            f"line 2: target: '1.23456' {NOT_A_METRIC}",
        ),
        (
            "X-1,A pilot," + "S" * 121 + ",piloting,2026-01-05,,,,,,,,,,,,",
            "line 2: business_unit: is longer than 120 characters",
        ),
        (
            "X-1,A pilot,Sales,piloting,2026-01-05,,,,,,,Cases," + "u" * 61 + ",10,20,,",
            "line 2: metric_unit: is longer than 60 characters",
        ),
        (
            "X-1,A pilot,Sales,piloting,2026-01-05,,,,,,," + "m" * 201 + ",,10,20,,",
            "line 2: success_metric: is longer than 200 characters",
        ),
        (
            "X-1,A pilot,Sales,piloting,2026-01-05,,,,,,,,,,,," + "s" * 10_001,
            "line 2: summary: is longer than 10000 characters",
        ),
        (
            "X-1,A pilot,Sales,piloting,1900-01-05,,,,,,,,,,,,",
            f"line 2: stage_entered_on: 1900-01-05 {OUT_OF_RANGE}",
        ),
        (
            "X-1,A pilot,Sales,piloting,2026-01-05,,,,,01/01/2150,,,,,,,",
            f"line 2: pilot_start: 2150-01-01 {OUT_OF_RANGE}",
        ),
    ],
)
def test_it_refuses_bad_cells_with_their_line_and_column(db, tmp_path, row, problem):
    # given
    path = write(tmp_path, f"{HEADER}\n{row}\n")

    # when
    problems = refused(path)

    # then: the problem named, nothing written
    assert problem in problems
    assert not Pilot.objects.exists()
    assert not BusinessUnit.objects.exists()


@pytest.mark.security
def test_it_refuses_a_utf8_file_with_a_broken_byte_naming_its_line(db, tmp_path):
    # given: UTF-8 accents, and on line 3 one byte that is not UTF-8
    text = f"{HEADER}\nX-1,Café pilot,Ventes,piloting,2026-01-05,,,,,,,,,,,,\n".encode()
    path = tmp_path / "pilots.csv"
    path.write_bytes(text + b"X-2,Cr\xe8me,Ventes,piloting,2026-01-05,,,,,,,,,,,,\n")

    # when
    problems = refused(path)

    # then
    assert problems == [
        "line 3: file: the file is not valid UTF-8 (byte 0xE8); save it as UTF-8 (CSV UTF-8)"
    ]
    assert not Pilot.objects.exists()


@pytest.mark.security
def test_it_reads_a_windows_code_page_file_without_any_utf8_character(db, tmp_path):
    # given: the same accents in the Windows code page, nothing that looks like UTF-8
    path = write(
        tmp_path,
        f"{HEADER}\nX-1,Crème brûlée pilot,Ventes,piloting,2026-01-05,,,,,,,,,,,,\n",
        encoding="cp1252",
    )

    # when
    run_import(path)

    # then
    assert Pilot.objects.get().title == "Crème brûlée pilot"


@pytest.mark.security
def test_it_reads_utf8_with_a_byte_order_mark(db, tmp_path):
    path = write(
        tmp_path,
        f"{HEADER}\nX-1,Café pilot,Ventes,piloting,2026-01-05,,,,,,,,,,,,\n",
        encoding="utf-8-sig",
    )

    run_import(path)

    assert Pilot.objects.get().title == "Café pilot"


@pytest.mark.security
def test_it_refuses_a_cell_too_long_for_the_csv_reader(db, tmp_path):
    path = write(tmp_path, f"{HEADER}\nX-1,A pilot,Sales,piloting,,,,,,,,,,,,,{'s' * 200_000}\n")

    problems = refused(path)

    assert problems == ["line 2: row: cannot be read: field larger than field limit (131072)"]
    assert not Pilot.objects.exists()
