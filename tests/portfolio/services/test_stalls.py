from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.models import StallEvent
from portfolio.services.lifecycle import decision_record, pilot_stage_move
from portfolio.services.stalls import stall_flags_record
from tests.conftest import run_at_once, sqlite_cannot
from tests.factories import make_awaiting_pilot


def events(pilot) -> list[tuple[str, date]]:
    return list(StallEvent.objects.filter(pilot=pilot).values_list("kind", "on"))


def test_it_records_the_pilots_that_became_stalled_and_drifting(stall_portfolio, capsys):
    # given: last week's detection (in the fixture) saw the January and February stalls
    p = stall_portfolio

    # when
    call_command("flag_stalls", "--as-of", "2026-06-01")

    # then
    assert capsys.readouterr().out.strip() == (
        "2026-06-01: 1 became stalled, 1 became drifting, 0 cleared."
    )
    assert events(p.stalled) == [("stalled", date(2026, 5, 25))]
    assert events(p.unowned) == [("stalled", date(2026, 5, 25))]
    assert events(p.stalled_new) == [("stalled", date(2026, 6, 1))]
    assert events(p.drifting) == [("drifting", date(2026, 6, 1))]
    assert events(p.fresh) == events(p.decided) == []


def test_it_records_nothing_new_when_run_again(stall_portfolio, capsys):
    # given
    call_command("flag_stalls", "--as-of", "2026-06-01")
    count = StallEvent.objects.count()

    # when: again the same day, then the next day
    call_command("flag_stalls", "--as-of", "2026-06-01")
    call_command("flag_stalls", "--as-of", "2026-06-02")

    # then
    assert StallEvent.objects.count() == count
    assert capsys.readouterr().out.splitlines()[1:] == [
        "2026-06-01: 0 became stalled, 0 became drifting, 0 cleared.",
        "2026-06-02: 0 became stalled, 0 became drifting, 0 cleared.",
    ]


def test_it_records_a_cleared_stall_when_a_decision_is_taken(stall_portfolio, executive):
    # given
    p = stall_portfolio
    decision_record(
        pilot=p.stalled, outcome="stop", by=executive, rationale="No owner", on=date(2026, 6, 2)
    )

    # when
    counts = stall_flags_record(as_of=date(2026, 6, 3))

    # then
    assert counts == {"stalled": 1, "drifting": 1, "cleared": 1}
    assert events(p.stalled) == [("stalled", date(2026, 5, 25)), ("cleared", date(2026, 6, 3))]


def test_it_records_a_pilot_that_stalls_again_after_it_was_cleared(alice, executive):
    # given: stalled, sent back to piloting by a Redesign, then awaiting a decision again
    pilot = make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 1))
    stall_flags_record(as_of=date(2026, 3, 9))
    decision_record(
        pilot=pilot, outcome="redesign", by=executive, rationale="Scope", on=date(2026, 3, 10)
    )
    stall_flags_record(as_of=date(2026, 3, 11))
    pilot_stage_move(pilot=pilot, to_stage="awaiting_decision", by=alice, on=date(2026, 4, 1))

    # when
    stall_flags_record(as_of=date(2026, 6, 1))

    # then
    assert events(pilot) == [
        ("stalled", date(2026, 3, 9)),
        ("cleared", date(2026, 3, 11)),
        ("stalled", date(2026, 6, 1)),
    ]


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "01/06/2026"])
def test_it_refuses_a_bad_date_with_a_clear_message(db, bad):
    # when
    with pytest.raises(CommandError) as refused:
        call_command("flag_stalls", "--as-of", bad)

    # then
    assert str(refused.value) == f"--as-of: {bad!r} is not a date; use YYYY-MM-DD"
    assert StallEvent.objects.count() == 0


def test_it_takes_a_fixed_number_of_queries_whatever_the_number_of_pilots(alice):
    # given
    make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 1), title="One")
    with CaptureQueriesContext(connection) as few:
        stall_flags_record(as_of=date(2026, 6, 1))
    for n in range(5):
        make_awaiting_pilot(owner=alice, entered_on=date(2026, 1, 1), title=f"Many {n}")

    # when
    with CaptureQueriesContext(connection) as many:
        stall_flags_record(as_of=date(2026, 6, 2))

    # then
    assert StallEvent.objects.count() == 6
    assert len(many) == len(few)


@pytest.mark.needs_services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@sqlite_cannot
def test_it_records_each_change_once_when_two_runs_happen_at_once(stall_portfolio):
    # given
    def run():
        return stall_flags_record(as_of=date(2026, 6, 1))

    # when
    _, errors = run_at_once(run, run)

    # then
    assert errors == []
    assert events(stall_portfolio.stalled_new) == [("stalled", date(2026, 6, 1))]
    assert events(stall_portfolio.drifting) == [("drifting", date(2026, 6, 1))]
    assert StallEvent.objects.filter(on=date(2026, 6, 1)).count() == 2
