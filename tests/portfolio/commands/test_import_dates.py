"""Slash and dot dates are read in the order given or proven by the file, never guessed."""

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from portfolio.models import Pilot

HEADER = "reference,title,business_unit,stage,stage_entered_on,pilot_start,pilot_end_planned"


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "pilots.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_pilots", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(path: Path, *args: str) -> list[str]:
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_pilots", str(path), *args, stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


def dates_of(reference: str) -> tuple[date, date, date]:
    pilot = Pilot.objects.get(reference=reference)
    return pilot.stage_entered_on, pilot.pilot_start, pilot.pilot_end_planned


def test_it_reads_a_file_month_first_when_a_second_part_over_12_proves_it(db, tmp_path):
    # given: 03/01/2026 alone would read both ways; 09/30/2026 reads month first only
    path = write(tmp_path, "A-1,Assistant,Sales,piloting,03/01/2026,03/01/2026,09/30/2026")

    # when
    out = run(path)

    # then: 1 March, not 3 January, and the report says which order was used
    assert dates_of("A-1") == (date(2026, 3, 1), date(2026, 3, 1), date(2026, 9, 30))
    assert "dates read month first (MM/DD/YYYY), as line 2 shows (pilot_end_planned: " in out


def test_it_reads_a_file_day_first_when_a_first_part_over_12_proves_it(db, tmp_path):
    path = write(
        tmp_path,
        "A-1,Assistant,Sales,piloting,03/01/2026,03/01/2026,30/09/2026",
        "A-2,Triage,Sales,piloting,09.11.2026,,",
    )

    out = run(path)

    assert dates_of("A-1") == (date(2026, 1, 3), date(2026, 1, 3), date(2026, 9, 30))
    assert dates_of("A-2")[0] == date(2026, 11, 9)
    assert "dates read day first (DD/MM/YYYY)" in out


def test_it_refuses_a_file_whose_dates_read_both_ways_throughout(db, tmp_path):
    # given: every slash date has a day of 12 or less
    path = write(
        tmp_path,
        "A-1,Assistant,Sales,piloting,03/01/2026,06/01/2026,",
        "A-2,Triage,Sales,piloting,,09/12/2026,11/02/2026",
    )

    # when
    problems = refused(path)

    # then: one problem naming the date columns and what to do; nothing written
    assert problems == [
        "line 2: stage_entered_on: this file writes dates as 03/01/2026: say whether that "
        "is 3 January 2026 or 1 March 2026 with --date-order DMY or MDY, or on the upload "
        "page (every date in stage_entered_on, pilot_start, pilot_end_planned reads both "
        "ways; YYYY-MM-DD dates need no order)"
    ]
    assert not Pilot.objects.exists()


@pytest.mark.parametrize(
    ("order", "expected"),
    [("MDY", date(2026, 6, 1)), ("DMY", date(2026, 1, 6)), ("mdy", date(2026, 6, 1))],
)
def test_it_reads_an_ambiguous_file_in_the_order_given(db, tmp_path, order, expected):
    path = write(tmp_path, "A-1,Assistant,Sales,piloting,,06/01/2026,")

    out = run(path, "--date-order", order)

    assert dates_of("A-1")[1] == expected
    assert "as asked" in out


def test_it_reads_two_digit_years_first_only_when_asked(db, tmp_path):
    path = write(tmp_path, "A-1,Assistant,Sales,piloting,,26/01/06,")

    run(path, "--date-order", "YMD")

    assert dates_of("A-1")[1] == date(2026, 1, 6)


def test_it_refuses_a_file_mixing_both_orders_with_the_lines_that_contradict(db, tmp_path):
    # given: line 2 can only be day first, line 3 only month first
    path = write(
        tmp_path,
        "A-1,Assistant,Sales,piloting,,25/03/2026,",
        "A-2,Triage,Sales,piloting,,03/25/2026,",
        "A-3,Search,Sales,piloting,,03/04/2026,",
    )

    problems = refused(path)

    assert problems == [
        "line 2: pilot_start: 25/03/2026 can only be read day first, but line 3 "
        "(pilot_start: 03/25/2026) can only be read month first: the file mixes two date "
        "orders; write every date the same way, or as YYYY-MM-DD",
        "line 3: pilot_start: 03/25/2026 can only be read month first, but line 2 "
        "(pilot_start: 25/03/2026) can only be read day first: the file mixes two date "
        "orders; write every date the same way, or as YYYY-MM-DD",
    ]
    assert not Pilot.objects.exists()


def test_it_refuses_a_date_that_does_not_exist_in_the_order_given(db, tmp_path):
    path = write(tmp_path, "A-1,Assistant,Sales,piloting,,25/03/2026,")

    problems = refused(path, "--date-order", "MDY")

    assert problems == [
        "line 2: pilot_start: '25/03/2026' is not a date read month first (MM/DD/YYYY)"
    ]


@pytest.mark.parametrize("order", [None, "DMY", "MDY", "YMD"])
def test_it_always_reads_iso_and_year_first_dates(db, tmp_path, order):
    path = write(tmp_path, "A-1,Assistant,Sales,piloting,2026-06-01,2026/06/02,2026-06-03 00:00:00")

    run(path, *(["--date-order", order] if order else []))

    assert dates_of("A-1") == (date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3))


def test_it_needs_no_order_for_a_date_that_reads_the_same_both_ways(db, tmp_path):
    path = write(tmp_path, "A-1,Assistant,Sales,piloting,06/06/2026,12.12.2026,")

    out = run(path)

    assert dates_of("A-1")[:2] == (date(2026, 6, 6), date(2026, 12, 12))
    assert "dates read" not in out


def test_it_names_a_cell_that_is_not_a_date_at_all(db, tmp_path):
    path = write(tmp_path, "A-1,Assistant,Sales,piloting,,next spring,")

    problems = refused(path)

    assert problems == [
        "line 2: pilot_start: 'next spring' is not a date; write it as YYYY-MM-DD, e.g. 2026-06-01"
    ]


def test_it_refuses_an_unknown_date_order(db, tmp_path):
    path = write(tmp_path, "A-1,Assistant,Sales,piloting,,,")

    with pytest.raises(CommandError, match="invalid choice: 'DM'"):
        call_command("import_pilots", str(path), "--date-order", "DM")
