"""Decision due: which piloting pilots call for their decision, and why (set-based)."""

from datetime import date, timedelta

from django.db.models import (
    Case,
    DateField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)

from portfolio.models import DecisionDue, DueCause, MetricReading, Pilot, Stage, User
from portfolio.selectors.conditions import meets_target_condition


def _due_in_current_period(cause: str | None = None) -> QuerySet[DecisionDue]:
    """The decision-due records of the outer pilot's piloting period (a Redesign back
    to piloting starts a new period: the earlier causes no longer count)."""
    due = DecisionDue.objects.filter(
        pilot=OuterRef("pk"), piloting_since=OuterRef("stage_entered_on")
    )
    return due.filter(cause=cause) if cause else due


def decision_due_condition() -> Q:
    """Piloting, with a cause of its decision falling due in this piloting period."""
    return Q(stage=Stage.PILOTING) & Q(Exists(_due_in_current_period()))


def with_decision_due(queryset: QuerySet[Pilot]) -> QuerySet[Pilot]:
    """Annotate `due_target_on` (the date of the reading that reached the target) and
    `due_end_on` (the day after the planned end), each None unless it made the pilot,
    piloting now, decision due; and `decision_due_on`, the earlier of the two."""
    annotations = {}
    causes = [("due_target_on", DueCause.TARGET_REACHED), ("due_end_on", DueCause.PLANNED_END)]
    for name, cause in causes:
        annotations[name] = Case(
            When(
                stage=Stage.PILOTING,
                then=Subquery(_due_in_current_period(cause).values("due_on")[:1]),
            ),
            default=None,
            output_field=DateField(),
        )
    first = _due_in_current_period().order_by("due_on", "id").values("due_on")[:1]
    annotations["decision_due_on"] = Case(
        When(stage=Stage.PILOTING, then=Subquery(first)), default=None, output_field=DateField()
    )
    return queryset.annotate(**annotations)


def decision_due_for(user: User) -> QuerySet[Pilot]:
    """The pilots whose decision `user` must take because it is due: those piloting
    and decision due of which they are the decision maker (the deployment owner when
    nobody else is named). Longest due first; annotated as `with_decision_due`."""
    theirs = Q(decision_maker=user) | Q(decision_maker__isnull=True, deployment_owner=user)
    pilots = Pilot.objects.filter(theirs).filter(decision_due_condition())
    return (
        with_decision_due(pilots)
        .select_related("business_unit", "deployment_owner", "decision_maker")
        .order_by("decision_due_on", "title", "id")
    )


def decisions_falling_due(
    *,
    as_of: date,
    pilot_ids: list[int] | None = None,
    causes: tuple[str, ...] = tuple(DueCause.values),
) -> list[tuple[int, date, str, date]]:
    """The causes not yet recorded of piloting pilots' decisions falling due as of a
    day: (pilot id, piloting since, cause, due on). Two queries, whatever the number
    of pilots (one per cause asked).

    - the latest reading of the success metric reaches the target (in the metric's
      direction): due on that reading's date, or the start of piloting if earlier;
    - the planned end passed: due on the day after it.
    """
    piloting = Pilot.objects.filter(stage=Stage.PILOTING)
    if pilot_ids is not None:
        piloting = piloting.filter(id__in=pilot_ids)
    latest = MetricReading.objects.filter(metric__pilot=OuterRef("pk")).order_by(
        "-measured_on", "-id"
    )
    reached = (
        piloting.exclude(Exists(_due_in_current_period(DueCause.TARGET_REACHED)))
        .filter(success_metric__target__isnull=False)
        .annotate(
            _v=Subquery(latest.values("value")[:1]),
            _on=Subquery(latest.values("measured_on")[:1]),
        )
        .filter(meets_target_condition("_v"))
        .values_list("id", "stage_entered_on", "_on")
    )
    ended = (
        piloting.exclude(Exists(_due_in_current_period(DueCause.PLANNED_END)))
        .filter(pilot_end_planned__lt=as_of)
        .values_list("id", "stage_entered_on", "pilot_end_planned")
    )
    found = []
    if DueCause.TARGET_REACHED in causes:
        found += [
            (pilot_id, since, DueCause.TARGET_REACHED, max(on, since))
            for pilot_id, since, on in reached.iterator(chunk_size=2000)
        ]
    if DueCause.PLANNED_END in causes:
        found += [
            (pilot_id, since, DueCause.PLANNED_END, end + timedelta(days=1))
            for pilot_id, since, end in ended.iterator(chunk_size=2000)
        ]
    return found
