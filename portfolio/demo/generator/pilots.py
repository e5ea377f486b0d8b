"""Generated pilots: a plan of stories, and each pilot drafted with its people and dates,
then written with all its parts a chunk at a time."""

from datetime import date, timedelta

from portfolio.demo import prose
from portfolio.demo.figures import amount, figure
from portfolio.demo.generator import charter, evidence, history, production
from portfolio.demo.generator.drafts import BATCH_SIZE, Draft, Generation, Rows
from portfolio.demo.generator.stories import ARCS, COVERAGE, PAST_STAGE_DAYS, TIER_WEIGHTS, Story
from portfolio.demo.people import SPONSORS, UNIT_OWNERS
from portfolio.models import CostLine, Pilot, RiskTier, Stage, User

# Generated pilots are built and written this many at a time: large enough that the
# queries per chunk do not matter, small enough to keep memory flat at 10,000 pilots.
PILOT_CHUNK = 500


def pilots_generate(generation: Generation, *, count: int, first_number: int) -> list[int]:
    """Make up `count` pilots numbered from `first_number`, write them, return their ids."""
    rng = generation.rng
    plan = list(COVERAGE[:count])
    stories, weights = list(ARCS), [arc.weight for arc in ARCS.values()]
    plan += [(story, None) for story in rng.choices(stories, weights, k=count - len(plan))]
    rng.shuffle(plan)
    ids: list[int] = []
    for start in range(0, count, PILOT_CHUNK):
        # The pilots first, so their parts can point to them by id: assigning ids is
        # much cheaper than assigning model instances, at some twenty parts a pilot.
        drafts = [
            _draft(generation, number=first_number + start + offset, story=story, tier=tier)
            for offset, (story, tier) in enumerate(plan[start : start + PILOT_CHUNK])
        ]
        Pilot.objects.bulk_create([d.pilot for d in drafts], batch_size=BATCH_SIZE)
        rows = Rows()
        for draft in drafts:
            _parts_add(generation, rows, draft)
        rows.write()
        production.cost_history_write(drafts, rows.by_model[CostLine])
        ids += [d.pilot.id for d in drafts]
    return ids


def _parts_add(generation: Generation, rows: Rows, draft: Draft) -> None:
    """Everything a saved pilot carries: history, charter, costs, KPIs, gates."""
    history.history_add(generation, rows, draft)
    charter.charter_add(generation, rows, draft)
    production.costs_add(generation, rows, draft)
    charter.conditions_add(generation, rows, draft)
    production.kpis_add(generation, rows, draft)
    evidence.gates_add(generation, rows, draft)


def _draft(generation: Generation, *, number: int, story: Story, tier: str | None) -> Draft:
    """A pilot that tells `story`: its use case, people, stage dates and the context its
    texts are written in (a risk tier is drawn unless `tier` is given)."""
    rng = generation.rng
    unit_name = rng.choice(list(UNIT_OWNERS))
    use_case = rng.choice(prose.USE_CASES[unit_name])
    tier = tier or rng.choices(list(TIER_WEIGHTS), list(TIER_WEIGHTS.values()))[0]
    path = ARCS[story].path
    if story == Story.INVENTORY:
        path = (rng.choice((Stage.PILOTING, Stage.AWAITING_DECISION)),)
    entered = _stage_dates(generation, story, path)
    scope = f" ({rng.choice(prose.SCOPES)})" if rng.random() < 0.45 else ""
    pilot = Pilot(
        reference=f"PG-{number:04d}",
        title=use_case.title + scope,
        business_unit=generation.units[unit_name],
        stage=path[-1],
        stage_entered_on=entered[-1],
        risk_tier=tier,
        **_people_of(generation, story, unit_name, tier),
    )
    team_size = str(rng.randint(6, 60))
    pilot.summary = f"{use_case.summary} {rng.choice(prose.SUMMARY_TAILS)}".format(
        team_size=team_size
    )
    baseline = amount(use_case.baseline * rng.uniform(0.85, 1.15))
    target = amount(float(baseline) * use_case.target / use_case.baseline)
    owner, sponsor = pilot.deployment_owner, pilot.sponsor
    draft = Draft(
        pilot=pilot,
        story=story,
        use_case=use_case,
        path=path,
        entered=entered,
        context=dict(
            owner=owner.name if owner else prose.UNNAMED_OWNER,
            unit=unit_name,
            system=use_case.system,
            metric=use_case.metric,
            baseline=figure(baseline, use_case.unit),
            target=figure(target, use_case.unit),
            tier=tier,
            team_size=team_size,
            sponsor=sponsor.name if sponsor else prose.UNNAMED_SPONSOR,
        ),
        baseline=baseline,
        target=target,
        result=rng.uniform(*ARCS[story].result),
    )
    _pilot_dates_set(generation, draft)
    return draft


def _people_of(
    generation: Generation, story: Story, unit_name: str, tier: str
) -> dict[str, User | None]:
    """Who sponsors, owns, delivers, decides and owns the risk."""
    rng, people = generation.rng, generation.people
    owner_key = (
        UNIT_OWNERS[unit_name] if rng.random() < 0.85 else rng.choice(list(UNIT_OWNERS.values()))
    )
    chosen = {
        "sponsor": people[rng.choice(SPONSORS[unit_name])],
        "deployment_owner": people[owner_key],
        "delivery_owner": (
            people[rng.choice(prose.DELIVERY_OWNERS)] if rng.random() < 0.7 else None
        ),
        "decision_maker": people[rng.choice(prose.EXECUTIVES)] if rng.random() < 0.2 else None,
        "risk_owner": None,
    }
    if tier == RiskTier.HIGH or (tier == RiskTier.MEDIUM and rng.random() < 0.25):
        chosen["risk_owner"] = people["reviewer_risk" if rng.random() < 0.7 else "cio"]
    # An idea nobody owns yet, or an inventory line that names no one: nobody is
    # sure who makes the final call.
    if story == Story.UNOWNED_IDEA or (story == Story.INVENTORY and rng.random() < 0.5):
        chosen["deployment_owner"] = chosen["decision_maker"] = None
    return chosen


# Closed pilots (stopped, research, live) start in turn in each of the last two years'
# months, in this order, so every month of the trends has pilots started and decided.
CLOSED = (Stage.STOPPED, Stage.RESEARCH, Stage.IN_PRODUCTION)
START_MONTHS = [(i * 7) % 24 for i in range(24)]


def _stage_dates(generation: Generation, story: Story, path: tuple[str, ...]) -> list[date]:
    """The day the pilot entered each stage, counted back from today."""
    rng = generation.rng
    entered = [generation.today - timedelta(days=rng.randint(*ARCS[story].days))]
    for stage in reversed(path[:-1]):
        entered.insert(0, entered[0] - timedelta(days=rng.randint(*PAST_STAGE_DAYS[stage])))
    if path[-1] in CLOSED and len(path) > 1:
        months_back = START_MONTHS[generation.closed_drawn % len(START_MONTHS)]
        generation.closed_drawn += 1
        start = generation.today - timedelta(days=round((months_back + 0.5) * 30.4))
        shift = start - entered[1]
        # Moved as a whole to start that month, if it then closes at least ten days ago.
        if entered[-1] + shift <= generation.today - timedelta(days=10):
            entered = [day + shift for day in entered]
    return entered


def _pilot_dates_set(generation: Generation, draft: Draft) -> None:
    """The pilot's start, planned end and go-live, consistent with its stage history."""
    rng, pilot, today = generation.rng, draft.pilot, generation.today
    started = draft.entered_last(Stage.PILOTING)
    if draft.story == Story.INVENTORY:
        started = draft.entered[0] - timedelta(days=rng.randint(30, 120))
        if rng.random() < 0.5:  # the inventory often has no planned end
            pilot.pilot_start = started
            return
    if started is None:  # proposed: a planned start, sometimes
        if rng.random() < 0.5:
            pilot.pilot_start = today + timedelta(days=rng.randint(14, 60))
            pilot.pilot_end_planned = pilot.pilot_start + timedelta(days=rng.randint(60, 120))
        return
    pilot.pilot_start = started
    if pilot.stage == Stage.PILOTING and draft.story not in (Story.DRIFTING, Story.INVENTORY):
        end = today + timedelta(days=rng.randint(7, 90))
    elif draft.story == Story.DRIFTING:
        overdue = rng.randint(7, (today - started).days - 30)
        end = today - timedelta(days=overdue)
    else:
        left = next(
            (on for s, on in zip(draft.path, draft.entered, strict=True) if on > started),
            today,
        )
        end = left + timedelta(days=rng.randint(-20, 10))
    pilot.pilot_end_planned = max(end, started + timedelta(days=30))
    if pilot.stage == Stage.IN_PRODUCTION:
        pilot.go_live_on = pilot.stage_entered_on
