"""The demo portfolio: people, business units, and pilots in every stage.

A newcomer, a screenshot or a benchmark needs a portfolio that looks like a real
company's: every stage, stalled and drifting pilots, each warning signal, decisions
with their reasons. `make run` loads it on first start (`seed_demo --if-empty`) and
`seed_demo --pilots 10000` feeds the benchmarks.

Two paths, on purpose:

- The two reference cases of docs/domain.md (`reference_cases`) are built through the
  real services, one call at a time, exactly as a user would build them, so they prove
  the services agree with the story they tell.
- The generated pilots (`generator`) are built in memory and written in bulk. Their gate
  statuses come from a single `readiness_refresh` at the end, the same derivation a
  user's evidence goes through.

What the demo says (names, use cases, rationales, evidence) is data, in `data/*.toml`,
read by `prose`. Dates are relative to the day of loading so the demo always looks
alive; the same seed on the same day gives the same portfolio (one `random.Random(seed)`,
never the global random, and no iteration over unordered sets).
"""

import random
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from gates.services import readiness_refresh
from portfolio.demo.criteria import criteria_by_gate
from portfolio.demo.generator import Generation, pilots_generate
from portfolio.demo.people import (
    DEMO_PASSWORD,
    EMAIL_DOMAIN,
    PEOPLE,
    DemoLogin,
    DemoPerson,
    business_units_create,
    demo_logins,
    people_create,
)
from portfolio.demo.reference_cases import (
    CONTACT_CENTRE,
    FINANCE_ANOMALIES,
    reference_cases_create,
)
from portfolio.models import Pilot, Stage
from portfolio.services.decisions_due import decisions_due_record

__all__ = [
    "CONTACT_CENTRE",
    "DEMO_PASSWORD",
    "EMAIL_DOMAIN",
    "FINANCE_ANOMALIES",
    "PEOPLE",
    "DemoLogin",
    "DemoPerson",
    "SeedReport",
    "demo_logins",
    "demo_seed",
    "portfolio_is_empty",
]


@dataclass(frozen=True)
class SeedReport:
    pilots: int
    by_stage: dict[str, int]
    people: int
    business_units: int


def portfolio_is_empty() -> bool:
    return not Pilot.objects.exists()


def demo_seed(*, pilots: int, seed: int, today: date | None = None) -> SeedReport:
    """Load the demo portfolio into an empty database: the people, the business units,
    the two reference cases of docs/domain.md and `pilots` generated pilots.

    Everything is written in one transaction, so a failure leaves nothing half-loaded.
    """
    if pilots < 0:
        raise ValueError("The number of pilots cannot be negative.")
    today = today or timezone.localdate()
    rng = random.Random(seed)
    with transaction.atomic():
        people = people_create()
        units = business_units_create()
        criteria = criteria_by_gate()
        references = reference_cases_create(
            people=people, units=units, criteria=criteria, today=today
        )
        reference_ids = [pilot.id for pilot in references]
        generation = Generation(rng=rng, today=today, people=people, units=units, criteria=criteria)
        generated_ids = pilots_generate(
            generation, count=pilots, first_number=len(reference_ids) + 1
        )
        # One derivation of every gate status, from the evidence and sign-offs written above.
        readiness_refresh(pilot_ids=reference_ids + generated_ids)
        # The decisions due today, as the daily job would find them.
        decisions_due_record(as_of=today)
    by_stage = dict(Pilot.objects.order_by().values_list("stage").annotate(n=Count("id")))
    return SeedReport(
        pilots=len(reference_ids) + len(generated_ids),
        by_stage={stage: by_stage.get(stage, 0) for stage in Stage.values},
        people=len(people),
        business_units=len(units),
    )
