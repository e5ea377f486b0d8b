"""The daily portfolio snapshot."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command

from portfolio.models import PortfolioSnapshot
from portfolio.services.snapshots import portfolio_snapshot_record
from portfolio.tasks import snapshot_portfolio_task
from tests.factories import gate_meet, make_awaiting_pilot


def test_it_records_the_gate_figures_with_their_pilots(alice, bob):
    # given: one pilot with the ownership gate passed
    pilot = make_awaiting_pilot(owner=alice, entered_on=date(2025, 1, 6))
    make_awaiting_pilot(owner=bob, entered_on=date(2025, 1, 6))
    gate_meet(pilot=pilot, key="ownership", by=alice)
    # when
    figures = portfolio_snapshot_record(on=date(2025, 2, 1)).figures
    # then
    assert figures["gates"]["ownership"]["passed"] == 1
    assert sum(figures["gates"]["ownership"].values()) == 2
    assert figures["passed_all"] == [] and figures["blocked"] == []


def test_it_replaces_the_days_figures_when_run_twice(alice):
    make_awaiting_pilot(owner=alice, entered_on=date(2025, 1, 6))
    portfolio_snapshot_record(on=date(2025, 2, 1))
    make_awaiting_pilot(owner=alice, entered_on=date(2025, 1, 7))
    portfolio_snapshot_record(on=date(2025, 2, 1))
    assert PortfolioSnapshot.objects.count() == 1
    snapshot = PortfolioSnapshot.objects.get()
    assert sum(snapshot.figures["gates"]["ownership"].values()) == 2


def test_its_task_and_command_write_the_days_snapshot(alice, capsys):
    make_awaiting_pilot(owner=alice, entered_on=date(2025, 1, 6))
    snapshot_portfolio_task("2025-02-01")
    call_command("snapshot_portfolio", "--as-of", "2025-02-02")
    assert list(PortfolioSnapshot.objects.values_list("on", flat=True)) == [
        date(2025, 2, 2),
        date(2025, 2, 1),
    ]
    assert "2025-02-02: 0 passed all gates, 0 blocked." in capsys.readouterr().out


def test_its_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="--as-of"):
        call_command("snapshot_portfolio", "--as-of", "yesterday")
