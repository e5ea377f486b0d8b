"""The charter: the answers a pilot needs before it may start."""

from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
)

from portfolio.models import PathItem, Pilot, SuccessMetric
from portfolio.selectors.conditions import flag

# The charter's three questions, as the refusal to start a pilot names them.
CHARTER_QUESTIONS = {
    "has_owner": "who is accountable for deployment (a named deployment owner)",
    "has_metric": "what success looks like (a success metric with baseline and target)",
    "has_path": "the path to production (at least one path-to-production item)",
}


def with_charter(queryset: QuerySet[Pilot]) -> QuerySet[Pilot]:
    """Annotate `has_owner`, `has_metric`, `has_path`: the charter's three answers."""
    return queryset.annotate(
        has_owner=flag(Q(deployment_owner__isnull=False)),
        has_metric=Exists(
            SuccessMetric.objects.filter(
                pilot=OuterRef("pk"), baseline__isnull=False, target__isnull=False
            ).exclude(name="")
        ),
        has_path=Exists(PathItem.objects.filter(pilot=OuterRef("pk"))),
    )


def charter_missing_of(pilot: Pilot) -> list[str]:
    """The unanswered charter questions of a pilot annotated by `with_charter`."""
    return [text for flag, text in CHARTER_QUESTIONS.items() if not getattr(pilot, flag)]


def pilot_charter_missing(*, pilot: Pilot) -> list[str]:
    return charter_missing_of(with_charter(Pilot.objects.filter(pk=pilot.pk)).get())


# What a pilot needs besides its charter's answers before it starts: the dates that
# let it drift (a pilot with no planned end could never be seen past it).
DATES_QUESTION = "when it runs (a planned start and a planned end)"


def start_missing_of(pilot: Pilot) -> list[str]:
    """What a pilot annotated by `with_charter` lacks before it may start: the
    charter's unanswered questions, then its dates."""
    missing = charter_missing_of(pilot)
    if not (pilot.pilot_start and pilot.pilot_end_planned):
        missing.append(DATES_QUESTION)
    return missing


def pilot_start_missing(*, pilot: Pilot) -> list[str]:
    return start_missing_of(with_charter(Pilot.objects.filter(pk=pilot.pk)).get())
