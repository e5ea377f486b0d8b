"""Post-launch value: after go-live, the success metric's readings against its target.

The one definition, as annotations, used by the pilot page, the dashboard's figures
and its filters. For a pilot in production with a reading dated after its go-live:

- reached: its latest reading meets the target (in the metric's direction);
- leaking ("value leakage"): its latest reading falls short of the target and is back
  below (in the metric's direction) the latest reading on or before go-live;
- on the way: neither.

A pilot with no reading after go-live has no post-launch value yet (None).
"""

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
    When,
)

from portfolio.models import Direction, MetricReading, Pilot, Stage
from portfolio.selectors.conditions import meets_target_condition


class PostLaunchValue(TextChoices):
    REACHED = "reached", "Target reached"
    ON_THE_WAY = "on_the_way", "On the way"
    LEAKING = "leaking", "Value leaking since go-live"


def _reading(**conditions) -> Subquery:
    """The latest reading's value of the outer pilot's metric, among `conditions`."""
    readings = MetricReading.objects.filter(metric__pilot=OuterRef("pk"), **conditions)
    return Subquery(readings.order_by("-measured_on", "-id").values("value")[:1])


def _in_production(expression) -> Case:
    return Case(
        When(stage=Stage.IN_PRODUCTION, go_live_on__isnull=False, then=expression),
        default=None,
        output_field=DecimalField(max_digits=16, decimal_places=4),
    )


def with_post_launch_value(queryset: QuerySet[Pilot]) -> QuerySet[Pilot]:
    """Annotate `value_at_go_live`, `value_latest` (the latest reading after go-live)
    and `post_launch_value` (a PostLaunchValue, or None)."""
    fell_back = Q(
        success_metric__direction=Direction.INCREASE, value_latest__lt=F("value_at_go_live")
    ) | Q(success_metric__direction=Direction.DECREASE, value_latest__gt=F("value_at_go_live"))
    return queryset.annotate(
        value_at_go_live=_in_production(_reading(measured_on__lte=OuterRef("go_live_on"))),
        value_latest=_in_production(_reading(measured_on__gt=OuterRef("go_live_on"))),
    ).annotate(
        post_launch_value=Case(
            When(value_latest__isnull=True, then=Value(None)),
            When(meets_target_condition("value_latest"), then=Value(PostLaunchValue.REACHED)),
            When(fell_back, then=Value(PostLaunchValue.LEAKING)),
            default=Value(PostLaunchValue.ON_THE_WAY),
            output_field=CharField(),
        )
    )


def post_launch_value_condition(value: str) -> Q:
    """The pilots whose post-launch value is `value`: for lists and filters."""
    pilots = with_post_launch_value(Pilot.objects.filter(stage=Stage.IN_PRODUCTION))
    return Q(pk__in=pilots.filter(post_launch_value=value).values("pk"))


def post_launch_value_counts() -> dict[str, int]:
    """How many pilots in production have reached, are on the way to, or are leaking
    their target: one query."""
    pilots = with_post_launch_value(Pilot.objects.filter(stage=Stage.IN_PRODUCTION))
    return pilots.aggregate(
        **{value.value: Count("id", filter=Q(post_launch_value=value)) for value in PostLaunchValue}
    )
