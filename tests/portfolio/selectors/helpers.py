"""Stall state as a test reads it, and objections as a test records them."""

from datetime import date

from gates.services import signoff_record
from portfolio.models import Pilot
from portfolio.selectors.stalls import stall_signals_of, with_stall_state
from tests.factories import criteria, reviewer

ENTERED = date(2025, 1, 6)


def state(pilot: Pilot, *, as_of: date) -> Pilot:
    return with_stall_state(Pilot.objects.filter(pk=pilot.pk), as_of=as_of).get()


def signals(pilot: Pilot, *, as_of: date) -> list[str]:
    return stall_signals_of(state(pilot, as_of=as_of))


def criterion_of(key: str, function: str):
    return next(c for c in criteria(key) if c.function == function and c.required)


def object_to(pilot: Pilot, *, key: str, function: str, comment: str = "Not acceptable"):
    return signoff_record(
        pilot=pilot,
        criterion=criterion_of(key, function),
        by=reviewer(function),
        verdict="objected",
        comment=comment,
    )
