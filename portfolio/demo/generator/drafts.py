"""What the parts of the generator share: the run (`Generation`), one pilot while it is
made up (`Draft`), and the rows a chunk of pilots writes (`Rows`)."""

import random
from dataclasses import dataclass, field
from datetime import date, tzinfo
from decimal import Decimal

from django.db.models import Model
from django.utils import timezone

from gates.models import Criterion, Evidence, SignOff
from portfolio.demo.criteria import criterion_texts
from portfolio.demo.figures import amount
from portfolio.demo.generator.stories import Story
from portfolio.demo.prose import CriterionTexts, UseCase
from portfolio.models import (
    BusinessUnit,
    CostLine,
    Decision,
    Deferral,
    MetricReading,
    PathItem,
    Pilot,
    PilotCondition,
    ProductionKpi,
    RiskApproval,
    StageChange,
    SuccessMetric,
    User,
    Waiver,
)

# Rows per INSERT where the database allows it (SQLite caps parameters lower itself).
BATCH_SIZE = 1000


@dataclass
class Generation:
    """One run of the generator: its one source of randomness (never the global one,
    so the same seed on the same day gives the same portfolio), the day it counts back
    from, and the people, units and criteria the pilots are made of."""

    rng: random.Random
    today: date
    people: dict[str, User]
    units: dict[str, BusinessUnit]
    criteria: dict[str, list[Criterion]]
    texts: dict[int, CriterionTexts] = field(init=False)  # by criterion id
    tz: tzinfo = field(init=False)
    closed_drawn: int = field(init=False, default=0)  # closed pilots drafted so far

    def __post_init__(self) -> None:
        self.texts = {c.id: criterion_texts(c) for cs in self.criteria.values() for c in cs}
        self.tz = timezone.get_current_timezone()


@dataclass
class Draft:
    """One generated pilot while it is being made up."""

    pilot: Pilot
    story: Story
    use_case: UseCase
    path: tuple[str, ...]
    entered: list[date]  # the day the pilot entered each stage of `path`
    context: dict[str, str]  # what the texts of data/ say of this pilot
    baseline: Decimal
    target: Decimal
    result: float  # how far the pilot got from baseline to target (1: target met)
    metric: SuccessMetric | None = None

    def value_at(self, progress: float) -> Decimal:
        """The metric's value once `progress` of the way from baseline to target."""
        value = float(self.baseline) + (float(self.target) - float(self.baseline)) * progress
        return amount(max(value, 0))

    def entered_last(self, stage: str) -> date | None:
        days = [on for s, on in zip(self.path, self.entered, strict=True) if s == stage]
        return days[-1] if days else None


# The rows a chunk writes besides the pilots, in the order they are written: each after
# the rows it points to (a reading after its metric).
WRITE_ORDER = (
    StageChange,
    SuccessMetric,
    MetricReading,
    PathItem,
    PilotCondition,
    CostLine,
    ProductionKpi,
    Decision,
    Deferral,
    RiskApproval,
    Waiver,
    Evidence,
    SignOff,
)


class Rows:
    """What one chunk of generated pilots writes besides the pilots themselves."""

    def __init__(self) -> None:
        self.by_model: dict[type[Model], list[Model]] = {model: [] for model in WRITE_ORDER}
        # A decision that supersedes another is written after the one it points to.
        self.superseding_decisions: list[Decision] = []

    def add(self, row: Model) -> None:
        if isinstance(row, Decision) and row.supersedes is not None:
            self.superseding_decisions.append(row)
        else:
            self.by_model[type(row)].append(row)

    def write(self) -> None:
        """Write every row with bulk_create, which sets the primary keys the later rows
        point to (a reading's metric, a decision's predecessor). bulk_create skips
        ImmutableRecord.save: these records are written once, here, which is all that
        guard protects."""
        for rows in (*self.by_model.values(), self.superseding_decisions):
            if rows:
                type(rows[0]).objects.bulk_create(rows, batch_size=BATCH_SIZE)


def id_of(user: User | None) -> int | None:
    return user.id if user else None
