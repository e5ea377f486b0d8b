"""A generated pilot's charter: its success metric and readings, its path to production,
and the conditions that made it fast."""

from datetime import timedelta

from portfolio.demo import prose
from portfolio.demo.generator.drafts import Draft, Generation, Rows, id_of
from portfolio.demo.generator.stories import Story
from portfolio.models import (
    ConditionDecision,
    MetricReading,
    PathItem,
    PathKind,
    PathStatus,
    PilotCondition,
    Stage,
    SuccessMetric,
)


def charter_add(generation: Generation, rows: Rows, draft: Draft) -> None:
    """The success metric, its readings and the path to production. Pilots past the
    proposal have a full charter, except inventory lines (deliberately incomplete)."""
    rng, pilot, use_case = generation.rng, draft.pilot, draft.use_case
    incomplete = draft.story == Story.INVENTORY
    proposal = pilot.stage == Stage.PROPOSED
    has_metric = rng.random() < (0.6 if proposal else 0.4 if incomplete else 1)
    has_path = rng.random() < (0.5 if proposal else 0.3 if incomplete else 1)
    if incomplete and has_metric and has_path:
        has_path = False
    if has_metric:
        draft.metric = SuccessMetric(
            pilot_id=pilot.id,
            name=use_case.metric,
            unit=use_case.unit,
            baseline=draft.baseline,
            target=draft.target,
            direction=use_case.direction,
        )
        rows.add(draft.metric)
        _readings_add(generation, rows, draft)
    if has_path:
        _path_add(generation, rows, draft)


def _path_add(generation: Generation, rows: Rows, draft: Draft) -> None:
    """One to three steps of the path to production, as far along as the pilot is."""
    rng, pilot, people = generation.rng, draft.pilot, generation.people
    status = {
        Stage.IN_PRODUCTION: PathStatus.DONE,
        Stage.SCALING: PathStatus.IN_PROGRESS,
        Stage.AWAITING_DECISION: PathStatus.IN_PROGRESS,
    }.get(pilot.stage, PathStatus.PLANNED)
    owners = {
        PathKind.SYSTEM: people["it"],
        PathKind.DATA_PIPELINE: people["reviewer_data"],
        PathKind.PROCESS_CHANGE: pilot.deployment_owner,
    }
    items = [(kind, prose.PATH_ITEMS[kind], owner) for kind, owner in owners.items()]
    for kind, description, owner in rng.sample(items, rng.choice((1, 1, 2, 3))):
        rows.add(
            PathItem(
                pilot_id=pilot.id,
                kind=kind,
                description=description.format(**draft.context),
                owner_id=id_of(owner),
                status=status if rng.random() < 0.8 else PathStatus.PLANNED,
            )
        )


def _readings_add(generation: Generation, rows: Rows, draft: Draft) -> None:
    """Readings during the pilot and, for most pilots in production, after go-live
    (the portfolio's "measured post-launch value")."""
    rng, pilot, today = generation.rng, draft.pilot, generation.today
    started = pilot.pilot_start
    if started is None or started >= today:
        return
    yesterday = today - timedelta(days=1)
    # A pilot still piloting (a redesigned one too) is measured until now.
    ended = (
        yesterday
        if pilot.stage == Stage.PILOTING
        else min(draft.entered_last(Stage.AWAITING_DECISION) or yesterday, yesterday)
    )
    if ended <= started:
        return
    count = 1 if pilot.stage == Stage.PILOTING else 2
    span = (ended - started).days
    for i in range(1, count + 1):
        rows.add(
            MetricReading(
                metric=draft.metric,
                measured_on=started + timedelta(days=span * i // count),
                value=draft.value_at(draft.result * i / count),
                note=prose.READING_NOTES["pilot"],
            )
        )
    if pilot.go_live_on and rng.random() < 0.85:
        first = pilot.go_live_on + timedelta(days=14)
        for i in range(rng.randint(1, 2)):
            measured_on = first + timedelta(days=30 * i)
            if measured_on >= today:
                break
            rows.add(
                MetricReading(
                    metric=draft.metric,
                    measured_on=measured_on,
                    value=draft.value_at(draft.result * rng.uniform(0.9, 1.1)),
                    note=prose.READING_NOTES["production"],
                )
            )


def conditions_add(generation: Generation, rows: Rows, draft: Draft) -> None:
    """The exceptions that made the pilot fast, decided as the pilot closes: mostly
    made permanent when it ships, withdrawn when it stops."""
    rng, pilot = generation.rng, draft.pilot
    if pilot.stage == Stage.PROPOSED or (pilot.stage == Stage.PILOTING and rng.random() < 0.5):
        return
    for kind in rng.sample(list(prose.CONDITIONS), rng.choice((1, 1, 2))):
        if pilot.stage in (Stage.SCALING, Stage.IN_PRODUCTION):
            decision = (
                ConditionDecision.PERMANENT if rng.random() < 0.7 else ConditionDecision.WITHDRAWN
            )
        elif pilot.stage in (Stage.STOPPED, Stage.RESEARCH):
            decision = ConditionDecision.WITHDRAWN
        elif pilot.stage == Stage.AWAITING_DECISION and rng.random() < 0.3:
            decision = rng.choice((ConditionDecision.PERMANENT, ConditionDecision.WITHDRAWN))
        else:
            decision = ConditionDecision.UNDECIDED
        rows.add(
            PilotCondition(
                pilot_id=pilot.id,
                kind=kind,
                description=prose.CONDITIONS[kind].format(**draft.context),
                decision=decision,
            )
        )
