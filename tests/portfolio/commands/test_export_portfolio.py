import csv
import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portfolio.exports import CSV_HEADER
from portfolio.models import BusinessUnit
from portfolio.services.lifecycle import decision_record
from portfolio.services.parts import cost_line_add
from tests.factories import make_awaiting_pilot, make_pilot


@pytest.fixture
def portfolio(alice, executive):
    stalled = make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 10), reference="CC-1")
    cost_line_add(pilot=stalled, category="integration", phase="pilot", amount=1000)
    cost_line_add(pilot=stalled, category="integration", phase="transition", amount=5000)
    stopped = make_awaiting_pilot(owner=alice, entered_on=date(2026, 2, 1), title="Old idea")
    decision_record(
        pilot=stopped, outcome="stop", by=executive, rationale="No value", on=date(2026, 3, 1)
    )
    make_pilot(title="Fresh idea")
    return stalled


def test_it_exports_the_portfolio_as_json(portfolio, tmp_path):
    # given
    path = tmp_path / "portfolio.json"

    # when
    call_command("export_portfolio", "--as-of", "2026-06-01", "--output", str(path))

    # then
    data = json.loads(path.read_text())
    assert data["as_of"] == "2026-06-01"
    assert data["summary"]["total"] == 3
    assert data["summary"]["stalled"] == 1
    assert data["summary"]["by_stage"]["stopped"] == 1
    assert data["summary"]["cost"] == {"pilot": "1000.00", "transition": "5000.00", "run": "0.00"}
    pilot = next(p for p in data["pilots"] if p["reference"] == "CC-1")
    assert pilot["stalled"] is True
    assert pilot["days_in_stage"] == 142
    assert pilot["deployment_owner"] == "alice@example.com"
    assert pilot["stall_signals"] == ["almost_ready_too_long"]
    assert set(pilot["gates"]) == {
        "ownership",
        "data",
        "integration",
        "value",
        "adoption",
        "governance",
    }
    assert pilot["cost"] == {"pilot": "1000.00", "transition": "5000.00", "run": "0.00"}
    old = next(p for p in data["pilots"] if p["title"] == "Old idea")
    assert [d["outcome"] for d in old["decisions"]] == ["stop"]
    assert old["decisions"][0]["decided_by"] == "erin@example.com"


def test_it_exports_one_csv_row_per_pilot(portfolio, tmp_path):
    path = tmp_path / "portfolio.csv"

    call_command(
        "export_portfolio", "--format", "csv", "--as-of", "2026-06-01", "--output", str(path)
    )

    with path.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == CSV_HEADER
    assert len(rows) == 3
    row = next(r for r in rows if r["reference"] == "CC-1")
    assert row["stalled"] == "yes"
    assert row["stall_signals"] == "almost_ready_too_long"
    assert row["gate_ownership"] == "open"
    assert row["cost_transition"] == "5000.00"
    old = next(r for r in rows if r["title"] == "Old idea")
    assert (old["last_decision"], old["last_decision_on"]) == ("stop", "2026-03-01")


def test_it_writes_to_standard_output_without_output(portfolio, capsys):
    call_command("export_portfolio", "--as-of", "2026-06-01")

    assert json.loads(capsys.readouterr().out)["summary"]["total"] == 3


def test_it_writes_json_to_the_stdout_given_to_the_command(portfolio, capsys):
    out = StringIO()

    call_command("export_portfolio", "--as-of", "2026-06-01", stdout=out)

    assert json.loads(out.getvalue())["summary"]["total"] == 3
    assert capsys.readouterr().out == ""


def test_it_writes_csv_to_the_stdout_given_to_the_command_without_blank_lines(portfolio, tmp_path):
    out = StringIO()
    path = tmp_path / "portfolio.csv"

    call_command("export_portfolio", "--format", "csv", "--as-of", "2026-06-01", stdout=out)
    call_command(
        "export_portfolio", "--format", "csv", "--as-of", "2026-06-01", "--output", str(path)
    )

    rows = list(csv.reader(StringIO(out.getvalue(), newline="")))
    assert rows[0] == CSV_HEADER
    assert len(rows) == 4  # the header and a row a pilot, no blank line between them
    assert out.getvalue().encode() == path.read_bytes()  # the same bytes as the file


def test_it_refuses_a_bad_as_of_date(db):
    with pytest.raises(CommandError, match="--as-of: '2026-13-01' is not a date"):
        call_command("export_portfolio", "--as-of", "2026-13-01", stdout=StringIO())


def test_it_says_when_the_output_cannot_be_written(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_portfolio", "--output", str(tmp_path / "no" / "such" / "dir.json"))


@pytest.mark.security
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_it_neutralises_formulas_in_the_csv_export(db, start):
    # given: a business unit named like a formula (kept as typed)
    unit = BusinessUnit.objects.create(name=f'{start}HYPERLINK("http://evil.example")')
    make_pilot(title="Harmless", business_unit=unit)
    out = StringIO()

    # when
    call_command("export_portfolio", "--format", "csv", stdout=out)

    # then
    (row,) = csv.DictReader(StringIO(out.getvalue(), newline=""))
    assert row["business_unit"] == f'\'{start}HYPERLINK("http://evil.example")'


@pytest.mark.security
def test_it_keeps_a_negative_number_a_number_in_the_csv_export(alice):
    # given: exported as of a day before the pilot entered its stage
    make_awaiting_pilot(owner=alice, entered_on=date(2026, 3, 1))
    out = StringIO()

    # when
    call_command("export_portfolio", "--format", "csv", "--as-of", "2026-02-01", stdout=out)

    # then: -28 days, written as a number, no apostrophe
    (row,) = csv.DictReader(StringIO(out.getvalue(), newline=""))
    assert row["days_in_stage"] == "-28"


@pytest.mark.security
@pytest.mark.parametrize("command", ["export_portfolio", "flag_stalls", "send_stall_alerts"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31"])
def test_it_refuses_an_as_of_date_out_of_range(db, command, day):
    with pytest.raises(CommandError) as refused:
        call_command(command, "--as-of", day, stdout=StringIO())

    assert str(refused.value) == (
        f"--as-of: {day} is out of range: give a date between 2000-01-01 and 2100-12-31."
    )
