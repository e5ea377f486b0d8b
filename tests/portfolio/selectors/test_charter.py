"""Selectors: charter completeness, stall state, the five signals and the export."""

from decimal import Decimal

import pytest

from portfolio.models import SuccessMetric
from portfolio.selectors.charter import CHARTER_QUESTIONS, pilot_charter_missing
from tests.factories import (
    make_chartered_pilot,
    make_pilot,
)

# --- Charter ----------------------------------------------------------------------


def test_it_lists_every_charter_question_of_an_empty_charter(db):
    pilot = make_pilot()

    assert pilot_charter_missing(pilot=pilot) == list(CHARTER_QUESTIONS.values())


def test_it_lists_no_charter_question_of_a_full_charter(alice):
    pilot = make_chartered_pilot(owner=alice)

    assert pilot_charter_missing(pilot=pilot) == []


@pytest.mark.parametrize(
    "metric",
    [
        {"name": "Hours", "baseline": Decimal(120), "target": None},
        {"name": "Hours", "baseline": None, "target": Decimal(60)},
        {"name": "", "baseline": Decimal(120), "target": Decimal(60)},
    ],
)
def test_it_counts_an_incomplete_success_metric_as_missing(alice, metric):
    pilot = make_chartered_pilot(owner=alice)
    SuccessMetric.objects.filter(pilot=pilot).update(**metric)

    assert pilot_charter_missing(pilot=pilot) == [CHARTER_QUESTIONS["has_metric"]]


def test_it_counts_a_baseline_of_zero_as_an_answer(alice):
    pilot = make_chartered_pilot(owner=alice)
    SuccessMetric.objects.filter(pilot=pilot).update(baseline=Decimal(0))

    assert pilot_charter_missing(pilot=pilot) == []
