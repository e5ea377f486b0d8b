"""Evidence and sign-offs that expire soon, for the owners who must re-confirm them."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from gates.models import Evidence, EvidenceStatus, SignOff, Verdict
from gates.selectors.checklist import WARN_DAYS
from portfolio.models import Function


@dataclass(frozen=True)
class Expiring:
    """Evidence or a sign-off of one criterion of one pilot that stops holding soon."""

    pilot_id: int
    pilot_title: str
    criterion: str
    what: str  # "evidence" or "<function> sign-off"
    valid_until: date  # the first day it no longer holds


def _latest(rows: Iterable[dict]) -> dict[tuple[int, str], dict]:
    latest: dict[tuple[int, str], dict] = {}
    for row in rows:  # in id order: the latest of a pilot's criterion wins
        latest[(row["pilot_id"], row["criterion__key"])] = row
    return latest


def expiring_soon(
    *, owner_ids: Iterable[int], as_of: date, days: int = WARN_DAYS
) -> dict[int, list[Expiring]]:
    """For each deployment owner: the latest accepted evidence and the latest sign-off of
    each criterion of their pilots that still hold on `as_of` and stop holding within
    `days` (30 by default), soonest first. Two queries, whatever the number of owners
    and pilots."""
    owner_ids = list(owner_ids)
    fields = ("pilot_id", "pilot__title", "pilot__deployment_owner_id", "criterion__key")
    last_day = as_of + timedelta(days=days)
    # Later evidence or sign-offs supersede: read every one, keep the latest of each.
    evidence = _latest(
        Evidence.objects.filter(
            pilot__deployment_owner_id__in=owner_ids, status=EvidenceStatus.ACCEPTED
        )
        .order_by("id")
        .values(*fields, "criterion__text", "valid_until")
    )
    signoffs = _latest(
        SignOff.objects.filter(pilot__deployment_owner_id__in=owner_ids)
        .order_by("id")
        .values(*fields, "criterion__text", "valid_until", "verdict", "function")
    )
    found: dict[int, list[Expiring]] = defaultdict(list)
    rows = [(row, "evidence") for row in evidence.values()] + [
        (row, f"{Function(row['function']).label} sign-off")
        for row in signoffs.values()
        if row["verdict"] == Verdict.SIGNED_OFF
    ]
    for row, what in rows:
        until = row["valid_until"]
        if until is None or not as_of < until <= last_day:
            continue
        found[row["pilot__deployment_owner_id"]].append(
            Expiring(
                pilot_id=row["pilot_id"],
                pilot_title=row["pilot__title"],
                criterion=row["criterion__text"],
                what=what,
                valid_until=until,
            )
        )
    for items in found.values():
        items.sort(key=lambda item: (item.valid_until, item.pilot_title))
    return found
